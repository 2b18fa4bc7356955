//! Print orders (照片制作 / 冲印 / 加洗): each student's print state and the packages (分包) an
//! order is split into.

use serde::{Deserialize, Serialize};

/// Per student (admin manual §8): 未申请 → 待冲印 → 已冲印 → 已寄出.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum PrintState {
    NotOrdered,
    Queued,
    Printed,
    Shipped,
}

impl PrintState {
    pub const ALL: [PrintState; 4] = [Self::NotOrdered, Self::Queued, Self::Printed, Self::Shipped];

    pub fn id(self) -> &'static str {
        match self {
            Self::NotOrdered => "not_ordered",
            Self::Queued => "queued",
            Self::Printed => "printed",
            Self::Shipped => "shipped",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Self::NotOrdered => "未申请",
            Self::Queued => "待冲印",
            Self::Printed => "已冲印",
            Self::Shipped => "已寄出",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.trim();
        Self::ALL
            .into_iter()
            .find(|p| p.id() == s || p.display_name() == s)
    }

    /// The one step forward an order may take its students: queued → printed → shipped. Going
    /// back, or skipping printed, is refused: a shop cannot ship what it has not printed.
    pub fn advance(self, to: PrintState) -> Result<PrintState, PrintStateError> {
        match (self, to) {
            (Self::Queued, Self::Printed) | (Self::Printed, Self::Shipped) => Ok(to),
            _ => Err(PrintStateError { from: self, to }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("冲印状态“{}”不能改为“{}” (print state {} cannot become {})", .from.display_name(), .to.display_name(), .from.id(), .to.id())]
pub struct PrintStateError {
    pub from: PrintState,
    pub to: PrintState,
}

/// One package (分包) of an order: the students matching every field given. An order without
/// packages takes every completed or delivered student of its school and category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PrintPackage {
    pub teaching_site: Option<String>,
    pub department: Option<String>,
    pub major: Option<String>,
    pub class_name: Option<String>,
    pub enrolment_year: Option<i32>,
}

impl PrintPackage {
    /// The package's name on the order sheet and the folder of its sheets: its fields in the
    /// order a school thinks of them, "全部" when it has none.
    pub fn label(&self) -> String {
        let year = self.enrolment_year.map(|y| format!("{y}级"));
        let parts: Vec<&str> = [
            self.teaching_site.as_deref(),
            self.department.as_deref(),
            self.major.as_deref(),
            self.class_name.as_deref(),
            year.as_deref(),
        ]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
        if parts.is_empty() {
            "全部".to_string()
        } else {
            parts.join(" ")
        }
    }

    pub fn is_empty(&self) -> bool {
        self.label() == "全部"
    }
}

/// The shop's delivery address (收件人, 电话, 地址), from the address book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PrintAddress {
    pub recipient: String,
    pub phone: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("收件人不能为空 (recipient is empty)")]
    NoRecipient,
    #[error("电话号码应为 7–20 位数字，可含 - 和空格 (phone must be 7–20 digits): {0}")]
    Phone(String),
    #[error("地址不能为空，且不超过 200 字 (address must be 1–200 characters)")]
    Address,
}

impl PrintAddress {
    /// Trims and checks an address before it enters the book.
    pub fn new(recipient: &str, phone: &str, address: &str) -> Result<Self, AddressError> {
        let recipient = crate::text::normalize_cell(recipient);
        let phone = crate::text::normalize_cell(phone);
        let address = crate::text::normalize_cell(address);
        if recipient.is_empty() || recipient.chars().count() > 50 {
            return Err(AddressError::NoRecipient);
        }
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+'));
        if !allowed || !(7..=20).contains(&digits) {
            return Err(AddressError::Phone(phone));
        }
        if address.is_empty() || address.chars().count() > 200 {
            return Err(AddressError::Address);
        }
        Ok(Self {
            recipient,
            phone,
            address,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_moves_students_forward_one_step_at_a_time() {
        use PrintState::*;
        assert_eq!(Queued.advance(Printed), Ok(Printed));
        assert_eq!(Printed.advance(Shipped), Ok(Shipped));
        for (from, to) in [
            (Queued, Shipped),
            (Shipped, Printed),
            (NotOrdered, Printed),
            (Printed, Printed),
        ] {
            assert!(from.advance(to).is_err(), "{from:?} → {to:?}");
        }
        assert_eq!(PrintState::parse("待冲印"), Some(Queued));
    }

    #[test]
    fn packages_are_named_by_their_fields() {
        let p = PrintPackage {
            department: Some("计算机学院".into()),
            class_name: Some("计科2101".into()),
            enrolment_year: Some(2021),
            ..Default::default()
        };
        assert_eq!(p.label(), "计算机学院 计科2101 2021级");
        assert_eq!(PrintPackage::default().label(), "全部");
    }

    #[test]
    fn addresses_are_checked() {
        assert!(PrintAddress::new("张三", "0311-5079 1234", "河北省保定市五四东路180号").is_ok());
        assert!(PrintAddress::new(" ", "13800000000", "x").is_err());
        assert!(PrintAddress::new("张三", "abc", "x").is_err());
        assert!(PrintAddress::new("张三", "13800000000", "").is_err());
    }
}
