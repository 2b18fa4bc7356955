//! Review (审核): the reject-reason catalogue, who decides, and the rules that keep a decision
//! on the photo it judged. The decisions themselves are rows of the state table
//! ([`crate::state::TABLE`]); this module adds what the table cannot say.

use crate::CollectionState;
use crate::state::Action;
use serde::{Deserialize, Serialize};

/// One entry of the reject-reason catalogue (设置 → 驳回原因): a stable key for data and
/// automation, the reviewer's short label, and the message the student sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RejectReason {
    pub key: String,
    pub label: String,
    pub message: String,
}

/// The catalogue a new data folder starts with: domain.md's review reasons, following the
/// photo requirements of seed 002 §03, in the order reviewers reach for them (keys 1–9 pick
/// the first nine).
pub const DEFAULT_REJECT_REASONS: [(&str, &str, &str); 16] = [
    (
        "background",
        "背景不符合要求",
        "背景应为均匀的浅蓝色，不能有杂物、阴影或其他颜色，请重新拍摄。",
    ),
    (
        "ears_forehead_covered",
        "耳朵或额头被遮挡",
        "请露出双耳和额头（头发不要遮挡眉毛和耳朵）后重新拍摄。",
    ),
    (
        "head_tilted",
        "头部歪斜",
        "请正面免冠、头部端正、双眼平视镜头后重新拍摄。",
    ),
    (
        "glasses_glare",
        "有色眼镜或镜片反光",
        "请不要佩戴有色眼镜，镜片不能反光，必要时摘下眼镜重新拍摄。",
    ),
    (
        "accessories",
        "佩戴饰品",
        "请摘下帽子、头饰、耳环、项链等饰品后重新拍摄。",
    ),
    (
        "blue_clothes",
        "服装颜色与背景相近",
        "请不要穿蓝色或浅蓝色上衣，换深色有领上衣后重新拍摄。",
    ),
    (
        "blur",
        "照片模糊",
        "照片不清晰，请对焦清楚、保持不动后重新拍摄。",
    ),
    (
        "exposure",
        "曝光过度或不足",
        "照片过亮或过暗，请在光线均匀的环境下重新拍摄。",
    ),
    (
        "shadow",
        "脸部或背景有阴影",
        "脸部或背景有明显阴影，请调整光线后重新拍摄。",
    ),
    (
        "beautified",
        "美颜或浓妆",
        "照片不得美颜、修图，不得化浓妆，请按本人真实相貌重新拍摄。",
    ),
    (
        "coloured_contacts",
        "佩戴美瞳",
        "请摘下美瞳（彩色隐形眼镜）后重新拍摄。",
    ),
    (
        "clothing",
        "着装不符合要求",
        "请穿有领的素色上衣，不要穿无袖、低领、过于宽大的衣服后重新拍摄。",
    ),
    (
        "lips_open",
        "嘴唇未闭合",
        "请自然闭合嘴唇、表情自然后重新拍摄。",
    ),
    (
        "shoulders_uneven",
        "双肩不平",
        "请坐正、双肩放平后重新拍摄。",
    ),
    (
        "not_taken_by_another",
        "非他人拍摄",
        "照片须由他人在正前方拍摄，不能自拍，请重新拍摄。",
    ),
    (
        "wrong_person",
        "非本人照片",
        "照片与本人不符，请本人重新拍摄。",
    ),
];

pub fn default_reject_reasons() -> Vec<RejectReason> {
    DEFAULT_REJECT_REASONS
        .iter()
        .map(|(key, label, message)| RejectReason {
            key: key.to_string(),
            label: label.to_string(),
            message: message.to_string(),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewInputError {
    #[error("驳回原因代码只能由小写字母、数字和下划线组成（1–40 个字符），收到 “{0}”")]
    BadReasonKey(String),
    #[error("请填写驳回原因的名称（1–40 个字符）")]
    BadReasonLabel,
    #[error("请填写学生看到的说明（1–300 个字符）")]
    BadReasonMessage,
    #[error("请输入审核员姓名")]
    MissingReviewer,
    #[error("审核员姓名过长或含有不可见字符")]
    BadReviewer,
    #[error("请写明驳回原因")]
    MissingNote,
    #[error("说明过长（最多 300 个字符）")]
    NoteTooLong,
    #[error("自动确认期限应为 1–30 天，收到 {0}")]
    BadConfirmDays(i64),
}

/// Checks and tidies a catalogue entry typed in the settings.
pub fn parse_reject_reason(
    key: &str,
    label: &str,
    message: &str,
) -> Result<RejectReason, ReviewInputError> {
    let key = key.trim();
    if key.is_empty()
        || key.len() > 40
        || !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(ReviewInputError::BadReasonKey(key.to_string()));
    }
    let label = crate::text::normalize_cell(label);
    if label.is_empty() || label.chars().count() > 40 || label.chars().any(char::is_control) {
        return Err(ReviewInputError::BadReasonLabel);
    }
    let message = message.trim().to_string();
    if message.is_empty() || message.chars().count() > 300 {
        return Err(ReviewInputError::BadReasonMessage);
    }
    Ok(RejectReason {
        key: key.to_string(),
        label,
        message,
    })
}

/// A written note added to a rejection (the R key, or `--note`): trimmed, at most 300 characters.
pub fn parse_note(raw: &str) -> Result<Option<String>, ReviewInputError> {
    let note = raw.trim();
    if note.is_empty() {
        return Ok(None);
    }
    if note.chars().count() > 300 {
        return Err(ReviewInputError::NoteTooLong);
    }
    Ok(Some(note.to_string()))
}

/// What the student reads for a rejection: the catalogue's message, then the reviewer's note.
pub fn student_message(reason: &RejectReason, note: Option<&str>) -> String {
    match note {
        Some(note) => format!("{}（{}）", reason.message, note),
        None => reason.message.clone(),
    }
}

/// Who decides at the review screen; recorded on every decision (`审核员：李华`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(transparent)]
pub struct Reviewer(String);

impl Reviewer {
    pub fn parse(raw: &str) -> Result<Self, ReviewInputError> {
        let name = crate::text::normalize_cell(raw);
        if name.is_empty() {
            return Err(ReviewInputError::MissingReviewer);
        }
        if name.chars().count() > 50 || name.chars().any(char::is_control) {
            return Err(ReviewInputError::BadReviewer);
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn actor(&self) -> String {
        format!("审核员：{}", self.0)
    }
}

/// The actor name the auto-confirm job records (domain.md: "recorded as automatic").
pub const AUTO_CONFIRM_ACTOR: &str = "auto_confirm";

/// 自动确认期限: days a student has to answer before the photo counts as confirmed.
pub const DEFAULT_CONFIRM_DAYS: i64 = 3;

pub fn parse_confirm_days(days: i64) -> Result<i64, ReviewInputError> {
    if (1..=30).contains(&days) {
        Ok(days)
    } else {
        Err(ReviewInputError::BadConfirmDays(days))
    }
}

/// Why a decision was not applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionRefused {
    #[error("该学生的照片已更换（审核的是 {judged}，当前为 {current}），请查看新照片后再审核")]
    StalePhoto { judged: String, current: String },
    #[error("该学生没有照片可审核")]
    NoPhoto,
    #[error("只能撤销审核决定（通过、驳回、撤回），该记录是“{}”", .0.display_name())]
    NotADecision(Action),
    #[error("该决定之后学生状态已变化，不能撤销")]
    MovedOn,
    #[error("该决定已同步到服务器，不能撤销")]
    AlreadySynced,
}

/// A decision names the photo it judged: it applies only while that is still the student's
/// photo, so a reviewer never approves a photo they have not seen.
pub fn check_judged_photo(current: Option<&str>, judged: &str) -> Result<(), DecisionRefused> {
    match current {
        None => Err(DecisionRefused::NoPhoto),
        Some(current) if current.eq_ignore_ascii_case(judged) => Ok(()),
        Some(current) => Err(DecisionRefused::StalePhoto {
            judged: short_hash(judged),
            current: short_hash(current),
        }),
    }
}

fn short_hash(hash: &str) -> String {
    hash.chars().take(8).collect()
}

/// The decisions a reviewer makes at the review screen, the ones Z may undo.
pub fn is_review_decision(action: Action) -> bool {
    matches!(action, Action::Approve | Action::Reject | Action::Withdraw)
}

/// Undoing a decision: the student goes back to the state before it, recorded as its own
/// `undo` transition. Allowed only for a review decision that is still the student's latest
/// change and that no server has seen (after a sync, another laptop may have acted on it).
pub fn undo_decision(
    decision: (CollectionState, Action, CollectionState),
    current: CollectionState,
    is_latest: bool,
    synced: bool,
) -> Result<CollectionState, DecisionRefused> {
    let (from, action, to) = decision;
    if !is_review_decision(action) {
        return Err(DecisionRefused::NotADecision(action));
    }
    if !is_latest || current != to {
        return Err(DecisionRefused::MovedOn);
    }
    if synced {
        return Err(DecisionRefused::AlreadySynced);
    }
    Ok(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CollectionState as S;

    #[test]
    fn catalogue_keys_are_valid_unique_and_cover_the_domain_list() {
        let reasons = default_reject_reasons();
        let mut keys: Vec<_> = reasons.iter().map(|r| r.key.clone()).collect();
        for r in &reasons {
            assert_eq!(
                parse_reject_reason(&r.key, &r.label, &r.message).as_ref(),
                Ok(r)
            );
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), reasons.len());
        for key in ["background", "blue_clothes", "wrong_person", "lips_open"] {
            assert!(keys.iter().any(|k| k == key), "{key}");
        }
    }

    #[test]
    fn reason_input_is_checked() {
        assert!(matches!(
            parse_reject_reason("Bad Key", "x", "y"),
            Err(ReviewInputError::BadReasonKey(_))
        ));
        assert!(matches!(
            parse_reject_reason("../x", "x", "y"),
            Err(ReviewInputError::BadReasonKey(_))
        ));
        assert_eq!(
            parse_reject_reason("ok", " ", "y"),
            Err(ReviewInputError::BadReasonLabel)
        );
        assert_eq!(
            parse_reject_reason("ok", "x", &"长".repeat(301)),
            Err(ReviewInputError::BadReasonMessage)
        );
        assert_eq!(parse_note("  "), Ok(None));
        assert_eq!(parse_note(" 头发 "), Ok(Some("头发".into())));
        assert_eq!(
            parse_note(&"a".repeat(301)),
            Err(ReviewInputError::NoteTooLong)
        );
        assert_eq!(Reviewer::parse(" 李华 ").unwrap().actor(), "审核员：李华");
        assert_eq!(Reviewer::parse(""), Err(ReviewInputError::MissingReviewer));
        assert_eq!(
            parse_confirm_days(0),
            Err(ReviewInputError::BadConfirmDays(0))
        );
        assert_eq!(parse_confirm_days(3), Ok(3));
    }

    #[test]
    fn a_decision_applies_only_to_the_photo_it_judged() {
        assert_eq!(check_judged_photo(Some("abc"), "ABC"), Ok(()));
        assert_eq!(
            check_judged_photo(None, "abc"),
            Err(DecisionRefused::NoPhoto)
        );
        let err = check_judged_photo(Some("new0000011"), "old0000022").unwrap_err();
        assert!(matches!(err, DecisionRefused::StalePhoto { .. }));
        assert!(err.to_string().contains("old00000"), "{err}");
    }

    #[test]
    fn undo_goes_back_only_from_the_latest_unsynced_decision() {
        let approve = (S::Submitted, Action::Approve, S::Completed);
        assert_eq!(
            undo_decision(approve, S::Completed, true, false),
            Ok(S::Submitted)
        );
        assert_eq!(
            undo_decision(approve, S::Completed, true, true),
            Err(DecisionRefused::AlreadySynced)
        );
        assert_eq!(
            undo_decision(approve, S::Delivered, false, false),
            Err(DecisionRefused::MovedOn)
        );
        let deliver = (S::Completed, Action::Deliver, S::Delivered);
        assert_eq!(
            undo_decision(deliver, S::Delivered, true, false),
            Err(DecisionRefused::NotADecision(Action::Deliver))
        );
        let reject = (S::Submitted, Action::Reject, S::Rejected);
        assert_eq!(
            undo_decision(reject, S::Rejected, true, false),
            Ok(S::Submitted)
        );
    }
}
