//! The collection state machine of domain.md, exactly: one table, used by the app, the CLI and
//! the server alike.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CollectionState {
    Pending,
    Submitted,
    Rejected,
    AwaitingConfirmation,
    Completed,
    Intercepted,
    Delivered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Action {
    Submit,
    Withdraw,
    Reject,
    Approve,
    Confirm,
    AutoConfirm,
    StudentRetake,
    Intercept,
    SendAnyway,
    RejectRetake,
    Deliver,
    DeliveryFailed,
    /// A reviewer takes back their last decision before it synced: back to the state before
    /// it (see `review::undo_decision`). Not a row of the table: it only ever reverses one.
    Undo,
}

impl CollectionState {
    pub const ALL: [CollectionState; 7] = [
        Self::Pending,
        Self::Submitted,
        Self::Rejected,
        Self::AwaitingConfirmation,
        Self::Completed,
        Self::Intercepted,
        Self::Delivered,
    ];

    /// The stable identifier used in code, CLI flags, JSON and the database.
    pub fn id(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Submitted => "submitted",
            Self::Rejected => "rejected",
            Self::AwaitingConfirmation => "awaiting_confirmation",
            Self::Completed => "completed",
            Self::Intercepted => "intercepted",
            Self::Delivered => "delivered",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Self::Pending => "待采集",
            Self::Submitted => "待审核",
            Self::Rejected => "审核未通过",
            Self::AwaitingConfirmation => "待确认",
            Self::Completed => "采集完成",
            Self::Intercepted => "已拦截",
            Self::Delivered => "上网成功",
        }
    }

    /// Accepts the identifier or the Chinese name.
    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim();
        Self::ALL
            .into_iter()
            .find(|st| st.id() == s || st.display_name() == s)
    }

    /// Whether a student in this state has a photo on record.
    pub fn has_photo(self) -> bool {
        !matches!(self, Self::Pending)
    }
}

impl Action {
    pub const ALL: [Action; 13] = [
        Self::Submit,
        Self::Withdraw,
        Self::Reject,
        Self::Approve,
        Self::Confirm,
        Self::AutoConfirm,
        Self::StudentRetake,
        Self::Intercept,
        Self::SendAnyway,
        Self::RejectRetake,
        Self::Deliver,
        Self::DeliveryFailed,
        Self::Undo,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Withdraw => "withdraw",
            Self::Reject => "reject",
            Self::Approve => "approve",
            Self::Confirm => "confirm",
            Self::AutoConfirm => "auto_confirm",
            Self::StudentRetake => "student_retake",
            Self::Intercept => "intercept",
            Self::SendAnyway => "send_anyway",
            Self::RejectRetake => "reject_retake",
            Self::Deliver => "deliver",
            Self::DeliveryFailed => "delivery_failed",
            Self::Undo => "undo",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Self::Submit => "提交",
            Self::Withdraw => "撤回审核",
            Self::Reject => "审核未通过",
            Self::Approve => "审核通过",
            Self::Confirm => "确认",
            Self::AutoConfirm => "自动确认",
            Self::StudentRetake => "重新采集",
            Self::Intercept => "拦截",
            Self::SendAnyway => "仍然报送",
            Self::RejectRetake => "驳回重拍",
            Self::Deliver => "上网成功",
            Self::DeliveryFailed => "上网失败",
            Self::Undo => "撤销审核",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim();
        Self::ALL
            .into_iter()
            .find(|a| a.id() == s || a.display_name() == s)
    }
}

impl fmt::Display for CollectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.display_name())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id(), self.display_name())
    }
}

/// School settings that choose between the two `approve` rows of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TransitionRules {
    /// 最终确认: when on, an approved photo waits for the student's confirmation. Off by default
    /// for centralized sessions, where the student agreed at the station.
    pub final_confirmation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("状态“{}”下不能执行“{}” (action {} is not allowed in state {})", .state.display_name(), .action.display_name(), .action.id(), .state.id())]
pub struct TransitionError {
    pub state: CollectionState,
    pub action: Action,
}

/// Every row of domain.md's table as (from, action, to). `approve` appears twice; the rules pick.
pub const TABLE: [(CollectionState, Action, CollectionState); 14] = {
    use Action as A;
    use CollectionState as S;
    [
        (S::Pending, A::Submit, S::Submitted),
        (S::Submitted, A::Withdraw, S::Pending),
        (S::Submitted, A::Reject, S::Rejected),
        (S::Rejected, A::Submit, S::Submitted),
        (S::Submitted, A::Approve, S::AwaitingConfirmation),
        (S::Submitted, A::Approve, S::Completed),
        (S::AwaitingConfirmation, A::Confirm, S::Completed),
        (S::AwaitingConfirmation, A::AutoConfirm, S::Completed),
        (S::AwaitingConfirmation, A::StudentRetake, S::Pending),
        (S::Completed, A::Intercept, S::Intercepted),
        (S::Intercepted, A::SendAnyway, S::Completed),
        (S::Intercepted, A::RejectRetake, S::Rejected),
        (S::Completed, A::Deliver, S::Delivered),
        (S::Completed, A::DeliveryFailed, S::Rejected),
    ]
};

/// Whether a row of [`TABLE`] holds under the school's rules: the two `approve` rows are told
/// apart by 最终确认, every other row always holds.
fn row_holds(to: CollectionState, action: Action, rules: TransitionRules) -> bool {
    match (action, to) {
        (Action::Approve, CollectionState::AwaitingConfirmation) => rules.final_confirmation,
        (Action::Approve, CollectionState::Completed) => !rules.final_confirmation,
        _ => true,
    }
}

impl CollectionState {
    /// The state `action` leads to, or an error naming both the state and the action. Read
    /// off [`TABLE`]: the table is the only place the transitions are written.
    pub fn apply(
        self,
        action: Action,
        rules: TransitionRules,
    ) -> Result<CollectionState, TransitionError> {
        TABLE
            .iter()
            .find(|&&(from, a, to)| from == self && a == action && row_holds(to, action, rules))
            .map(|&(_, _, to)| to)
            .ok_or(TransitionError {
                state: self,
                action,
            })
    }

    /// Whether a station may take a photo of a student in this state, and how.
    pub fn capture_admission(self) -> CaptureAdmission {
        match self {
            Self::Pending | Self::Rejected => CaptureAdmission::Capture,
            Self::Submitted => CaptureAdmission::RetakeNeedsConfirmation,
            Self::AwaitingConfirmation | Self::Completed | Self::Intercepted | Self::Delivered => {
                CaptureAdmission::Closed
            }
        }
    }

    /// The transitions that saving a new capture makes, in order: a submitted photo is first
    /// withdrawn (a confirmed retake), then the new one is submitted.
    pub fn capture_transitions(
        self,
        retake_confirmed: bool,
        rules: TransitionRules,
    ) -> Result<Vec<(CollectionState, Action, CollectionState)>, CaptureRefused> {
        let mut steps = Vec::with_capacity(2);
        let mut from = self;
        match self.capture_admission() {
            CaptureAdmission::Capture => {}
            CaptureAdmission::RetakeNeedsConfirmation if retake_confirmed => {
                let to = from
                    .apply(Action::Withdraw, rules)
                    .map_err(CaptureRefused::State)?;
                steps.push((from, Action::Withdraw, to));
                from = to;
            }
            CaptureAdmission::RetakeNeedsConfirmation => {
                return Err(CaptureRefused::RetakeNotConfirmed);
            }
            CaptureAdmission::Closed => {
                return Err(CaptureRefused::State(TransitionError {
                    state: self,
                    action: Action::Submit,
                }));
            }
        }
        let to = from
            .apply(Action::Submit, rules)
            .map_err(CaptureRefused::State)?;
        steps.push((from, Action::Submit, to));
        Ok(steps)
    }
}

/// What a station may do for a student, decided here so the window only shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CaptureAdmission {
    /// No photo yet, or the last one was rejected: take one.
    Capture,
    /// A photo awaits review: a new one replaces it only when the photographer confirms.
    RetakeNeedsConfirmation,
    /// Approved, awaiting the student, intercepted or delivered: no new photo at a station.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CaptureRefused {
    #[error("该学生已有待审核的照片：确认重拍后才能保存新照片")]
    RetakeNotConfirmed,
    #[error(transparent)]
    State(TransitionError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ON: TransitionRules = TransitionRules {
        final_confirmation: true,
    };
    const OFF: TransitionRules = TransitionRules {
        final_confirmation: false,
    };

    fn in_table(from: CollectionState, action: Action, to: CollectionState) -> bool {
        TABLE
            .iter()
            .any(|&(f, a, t)| f == from && a == action && t == to)
    }

    #[test]
    fn every_row_of_the_table_works() {
        for (from, action, to) in TABLE {
            let rules = if to == CollectionState::AwaitingConfirmation {
                ON
            } else {
                OFF
            };
            assert_eq!(
                from.apply(action, rules),
                Ok(to),
                "{from} --{action}--> {to}"
            );
        }
        assert_eq!(
            CollectionState::Submitted.apply(Action::Approve, ON),
            Ok(CollectionState::AwaitingConfirmation)
        );
        assert_eq!(
            CollectionState::Submitted.apply(Action::Approve, OFF),
            Ok(CollectionState::Completed)
        );
    }

    #[test]
    fn every_other_pair_is_an_error_naming_both() {
        let mut errors = 0;
        for state in CollectionState::ALL {
            for action in Action::ALL {
                let allowed = TABLE.iter().any(|&(f, a, _)| f == state && a == action);
                for rules in [ON, OFF] {
                    match state.apply(action, rules) {
                        Ok(to) => {
                            assert!(
                                allowed && in_table(state, action, to),
                                "{state} {action} -> {to} not in table"
                            )
                        }
                        Err(e) => {
                            assert!(!allowed, "{state} {action} should be allowed");
                            assert_eq!(e, TransitionError { state, action });
                            let msg = e.to_string();
                            assert!(
                                msg.contains(state.id()) && msg.contains(action.id()),
                                "{msg}"
                            );
                            assert!(
                                msg.contains(state.display_name())
                                    && msg.contains(action.display_name())
                            );
                            errors += 1;
                        }
                    }
                }
            }
        }
        // 7 states × 13 actions = 91 pairs, 13 distinct allowed pairs, each tried under both rules.
        assert_eq!(errors, (91 - 13) * 2);
    }

    #[test]
    fn ids_and_names_round_trip() {
        for s in CollectionState::ALL {
            assert_eq!(CollectionState::parse(s.id()), Some(s));
            assert_eq!(CollectionState::parse(s.display_name()), Some(s));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.id()), Some(a));
        }
    }

    #[test]
    fn captures_follow_the_table() {
        use CaptureAdmission as C;
        use CollectionState as S;
        for state in S::ALL {
            let admission = state.capture_admission();
            // A station may capture exactly where the table lets `submit` (directly or after
            // `withdraw`) happen.
            let direct = state.apply(Action::Submit, OFF).is_ok();
            let after_withdraw = state
                .apply(Action::Withdraw, OFF)
                .is_ok_and(|s| s.apply(Action::Submit, OFF).is_ok());
            assert_eq!(admission == C::Capture, direct, "{state}");
            assert_eq!(
                admission == C::RetakeNeedsConfirmation,
                after_withdraw,
                "{state}"
            );
            let plan = state.capture_transitions(true, OFF);
            assert_eq!(plan.is_ok(), admission != C::Closed, "{state}");
        }
        assert_eq!(
            S::Submitted.capture_transitions(false, OFF),
            Err(CaptureRefused::RetakeNotConfirmed)
        );
        assert_eq!(
            S::Submitted.capture_transitions(true, OFF).unwrap(),
            vec![
                (S::Submitted, Action::Withdraw, S::Pending),
                (S::Pending, Action::Submit, S::Submitted)
            ]
        );
        assert_eq!(
            S::Rejected.capture_transitions(false, OFF).unwrap(),
            vec![(S::Rejected, Action::Submit, S::Submitted)]
        );
    }

    proptest! {
        #[test]
        fn random_action_sequences_stay_inside_the_table(
            actions in proptest::collection::vec(0usize..Action::ALL.len(), 0..200),
            final_confirmation in any::<bool>(),
        ) {
            let rules = TransitionRules { final_confirmation };
            let mut state = CollectionState::Pending;
            for i in actions {
                let action = Action::ALL[i];
                match state.apply(action, rules) {
                    Ok(next) => {
                        prop_assert!(in_table(state, action, next));
                        state = next;
                    }
                    Err(e) => prop_assert_eq!(e, TransitionError { state, action }),
                }
                prop_assert!(CollectionState::ALL.contains(&state));
            }
        }
    }
}
