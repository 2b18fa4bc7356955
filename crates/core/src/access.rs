//! Who may do what, for which school: the one table every request to the central server goes
//! through (domain.md's roles). The server asks [`authorize`]; it never decides a right itself.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The platform: opens school accounts, activates contracts, sees every school.
    Operator,
    SchoolAdmin,
    Reviewer,
    Photographer,
    /// Signed in by collection code + ID last four: their own record only.
    Student,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Self::Operator,
        Self::SchoolAdmin,
        Self::Reviewer,
        Self::Photographer,
        Self::Student,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::SchoolAdmin => "school_admin",
            Self::Reviewer => "reviewer",
            Self::Photographer => "photographer",
            Self::Student => "student",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Self::Operator => "平台运营",
            Self::SchoolAdmin => "院校管理员",
            Self::Reviewer => "审核员",
            Self::Photographer => "采集员",
            Self::Student => "学生",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.id() == s || r.display_name() == s)
    }

    /// Every role but the operator belongs to exactly one school.
    pub fn needs_school(self) -> bool {
        self != Self::Operator
    }

    /// Roles that sign in with a phone number and a password (students use their codes).
    pub fn is_staff(self) -> bool {
        self != Self::Student
    }
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// A school's name, settings and counts by state.
    ReadSchool,
    /// The school's student list (IDs masked) and one student's record.
    ReadStudents,
    /// A photo's bytes.
    ReadPhoto,
    /// Upload a photo's bytes.
    UploadPhoto,
    /// Submit a captured photo for a student (a station's work).
    SubmitCapture,
    /// Approve or reject a submitted photo.
    DecidePhoto,
    /// Confirm the final photo or ask for a retake: the student's own.
    ConfirmOwnPhoto,
    /// A school's contracts: prices, handler, term, state.
    ReadContracts,
    /// Register a contract and upload its signed mandate.
    ManageContract,
    /// 账户开通: activate a contract once its mandate is in.
    ActivateContract,
    /// School settings (最终确认).
    ChangeSettings,
    /// Read the audit log.
    ReadAudit,
    /// Push operations and pull changes (the sync engine).
    Sync,
}

impl Permission {
    pub const ALL: [Permission; 13] = [
        Self::ReadSchool,
        Self::ReadStudents,
        Self::ReadPhoto,
        Self::UploadPhoto,
        Self::SubmitCapture,
        Self::DecidePhoto,
        Self::ConfirmOwnPhoto,
        Self::ReadContracts,
        Self::ManageContract,
        Self::ActivateContract,
        Self::ChangeSettings,
        Self::ReadAudit,
        Self::Sync,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::ReadSchool => "read_school",
            Self::ReadStudents => "read_students",
            Self::ReadPhoto => "read_photo",
            Self::UploadPhoto => "upload_photo",
            Self::SubmitCapture => "submit_capture",
            Self::DecidePhoto => "decide_photo",
            Self::ConfirmOwnPhoto => "confirm_own_photo",
            Self::ReadContracts => "read_contracts",
            Self::ManageContract => "manage_contract",
            Self::ActivateContract => "activate_contract",
            Self::ChangeSettings => "change_settings",
            Self::ReadAudit => "read_audit",
            Self::Sync => "sync",
        }
    }
}

/// The table: which role may do what. Kept as one literal so a review reads every right at once.
pub const RIGHTS: [(Role, &[Permission]); 5] = {
    use Permission as P;
    [
        (
            Role::Operator,
            &[
                P::ReadSchool,
                P::ReadStudents,
                P::ReadPhoto,
                P::ReadContracts,
                P::ActivateContract,
                P::ReadAudit,
            ],
        ),
        (
            Role::SchoolAdmin,
            &[
                P::ReadSchool,
                P::ReadStudents,
                P::ReadPhoto,
                P::UploadPhoto,
                P::SubmitCapture,
                P::DecidePhoto,
                P::ReadContracts,
                P::ManageContract,
                P::ChangeSettings,
                P::ReadAudit,
                P::Sync,
            ],
        ),
        (
            Role::Reviewer,
            &[
                P::ReadSchool,
                P::ReadStudents,
                P::ReadPhoto,
                P::DecidePhoto,
                P::Sync,
            ],
        ),
        (
            Role::Photographer,
            &[
                P::ReadSchool,
                P::ReadStudents,
                P::ReadPhoto,
                P::UploadPhoto,
                P::SubmitCapture,
                P::Sync,
            ],
        ),
        (
            Role::Student,
            &[P::ReadStudents, P::ReadPhoto, P::ConfirmOwnPhoto],
        ),
    ]
};

pub fn permits(role: Role, permission: Permission) -> bool {
    RIGHTS
        .iter()
        .any(|(r, rights)| *r == role && rights.contains(&permission))
}

/// Who is asking: the role, the school a non-operator belongs to, and for a student the
/// collection code of their own record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub role: Role,
    pub school: Option<String>,
    pub student: Option<String>,
}

/// What a request touches: a school, and within it maybe one student's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    pub school: &'a str,
    pub student: Option<&'a str>,
}

/// Why a request is refused. `Hidden` is answered as "not found": a user of one school learns
/// nothing of another school's records, not even that they exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("当前角色无权执行此操作")]
    Forbidden,
    #[error("记录不存在")]
    Hidden,
}

pub fn authorize(
    who: &Principal,
    permission: Permission,
    target: Target<'_>,
) -> Result<(), Denied> {
    let own_school = match (who.role, who.school.as_deref()) {
        (Role::Operator, _) => true,
        (_, Some(school)) => school == target.school,
        // A non-operator without a school is a broken account: it may do nothing.
        (_, None) => return Err(Denied::Forbidden),
    };
    if !own_school {
        return Err(Denied::Hidden);
    }
    if who.role == Role::Student {
        // A student sees only their own record, and nothing school-wide.
        match (target.student, who.student.as_deref()) {
            (Some(asked), Some(own)) if asked == own => {}
            _ => return Err(Denied::Hidden),
        }
    }
    if !permits(who.role, permission) {
        return Err(Denied::Forbidden);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(role: Role, school: &str) -> Principal {
        Principal {
            role,
            school: Some(school.into()),
            student: None,
        }
    }

    #[test]
    fn every_role_and_permission_in_own_and_other_school() {
        for role in Role::ALL {
            for permission in Permission::ALL {
                let who = match role {
                    Role::Operator => Principal {
                        role,
                        school: None,
                        student: None,
                    },
                    Role::Student => Principal {
                        role,
                        school: Some("10075".into()),
                        student: Some("2020062800634".into()),
                    },
                    _ => staff(role, "10075"),
                };
                let own = Target {
                    school: "10075",
                    student: Some("2020062800634"),
                };
                let other = Target {
                    school: "10001",
                    student: Some("2020062800634"),
                };
                let expected_own = if permits(role, permission) {
                    Ok(())
                } else {
                    Err(Denied::Forbidden)
                };
                assert_eq!(
                    authorize(&who, permission, own),
                    expected_own,
                    "{role:?} {permission:?}"
                );
                let expected_other = match role {
                    Role::Operator => expected_own,
                    _ => Err(Denied::Hidden),
                };
                assert_eq!(
                    authorize(&who, permission, other),
                    expected_other,
                    "{role:?} {permission:?} other school"
                );
            }
        }
    }

    #[test]
    fn the_table_as_the_issue_states_it() {
        use Permission as P;
        assert!(permits(Role::Reviewer, P::DecidePhoto));
        assert!(!permits(Role::Photographer, P::DecidePhoto));
        assert!(!permits(Role::Reviewer, P::SubmitCapture));
        assert!(permits(Role::Operator, P::ActivateContract));
        assert!(!permits(Role::SchoolAdmin, P::ActivateContract));
        assert!(!permits(Role::Operator, P::DecidePhoto));
        assert!(!permits(Role::Student, P::Sync));
        for p in Permission::ALL {
            assert_eq!(
                permits(Role::Student, p),
                matches!(p, P::ReadStudents | P::ReadPhoto | P::ConfirmOwnPhoto)
            );
        }
    }

    #[test]
    fn a_student_sees_only_their_own_record() {
        let me = Principal {
            role: Role::Student,
            school: Some("10075".into()),
            student: Some("2020062800634".into()),
        };
        let mine = Target {
            school: "10075",
            student: Some("2020062800634"),
        };
        let classmate = Target {
            school: "10075",
            student: Some("2020062800635"),
        };
        let school_wide = Target {
            school: "10075",
            student: None,
        };
        assert_eq!(authorize(&me, Permission::ConfirmOwnPhoto, mine), Ok(()));
        assert_eq!(
            authorize(&me, Permission::ConfirmOwnPhoto, classmate),
            Err(Denied::Hidden)
        );
        assert_eq!(
            authorize(&me, Permission::ReadStudents, school_wide),
            Err(Denied::Hidden)
        );
    }

    #[test]
    fn an_account_without_a_school_may_do_nothing() {
        let broken = Principal {
            role: Role::Reviewer,
            school: None,
            student: None,
        };
        for p in Permission::ALL {
            assert_eq!(
                authorize(
                    &broken,
                    p,
                    Target {
                        school: "10075",
                        student: None
                    }
                ),
                Err(Denied::Forbidden)
            );
        }
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.id()), Some(r));
            assert_eq!(Role::parse(r.display_name()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
