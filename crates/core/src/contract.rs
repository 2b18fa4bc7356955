//! Contracts (委托采集) between a collection provider and a school, per education category.

use crate::{EducationCategory, SchoolCode};
use serde::{Deserialize, Serialize};

/// admin manual §3: 生成委托书 → 已上传委托书，等待开通账户 → active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractState {
    AwaitingMandate,
    MandateUploaded,
    Active,
}

impl ContractState {
    pub fn display_name(self) -> &'static str {
        match self {
            Self::AwaitingMandate => "生成委托书",
            Self::MandateUploaded => "已上传委托书，等待开通账户",
            Self::Active => "已开通",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub school: SchoolCode,
    pub category: EducationCategory,
    /// 采集价格 in fen (CNY cents): money is never a float.
    pub price_fen: i64,
    pub handler: String,
    /// 签约有效期至, ISO date.
    pub valid_until: String,
    pub state: ContractState,
}

impl Contract {
    /// "30.00" as the manuals print prices.
    pub fn price_display(&self) -> String {
        format!("{}.{:02}", self.price_fen / 100, self.price_fen % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_prints_two_decimals() {
        let c = Contract {
            school: SchoolCode::parse("10075").unwrap(),
            category: EducationCategory::Adult,
            price_fen: 3005,
            handler: "刘晨阳".into(),
            valid_until: "2024-08-04".into(),
            state: ContractState::AwaitingMandate,
        };
        assert_eq!(c.price_display(), "30.05");
    }
}
