//! Contracts (委托采集) between a collection provider and a school, per education category.

use crate::{EducationCategory, SchoolCode};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// admin manual §3: 生成委托书 → 已上传委托书，等待开通账户 → active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
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

    pub fn id(self) -> &'static str {
        match self {
            Self::AwaitingMandate => "awaiting_mandate",
            Self::MandateUploaded => "mandate_uploaded",
            Self::Active => "active",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::AwaitingMandate, Self::MandateUploaded, Self::Active]
            .into_iter()
            .find(|s| s.id() == raw.trim())
    }

    /// The signed mandate arrived for every signed category (the manual: the account opens only
    /// then). Uploading again changes nothing.
    pub fn mandate_uploaded(self) -> Result<ContractState, ContractError> {
        match self {
            Self::AwaitingMandate | Self::MandateUploaded => Ok(Self::MandateUploaded),
            Self::Active => Err(ContractError::AlreadyActive),
        }
    }

    /// 账户开通: the platform operator's step, after the mandate.
    pub fn activate(self) -> Result<ContractState, ContractError> {
        match self {
            Self::MandateUploaded => Ok(Self::Active),
            Self::AwaitingMandate => Err(ContractError::NoMandate),
            Self::Active => Err(ContractError::AlreadyActive),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error(
        "采集价格应为不小于 0 的金额，最多两位小数，例如 25.00 (price must be like 25.00): {0}"
    )]
    Price(String),
    #[error("经办人不能为空 (the handler is empty)")]
    NoHandler,
    #[error("签约有效期应为 YYYY-MM-DD 格式的日期 (valid-until must be a date YYYY-MM-DD): {0}")]
    ValidUntil(String),
    #[error("委托年限应为 1–10 年 (the term must be 1–10 years): {0}")]
    Years(u32),
    #[error("合同已开通，不能再上传委托书 (the contract is already active)")]
    AlreadyActive,
    #[error("尚未上传委托书，不能开通 (no mandate uploaded yet)")]
    NoMandate,
}

/// "25", "25.5", "25.00", "２５．００" → fen. Money is parsed as text, never through a float.
pub fn parse_price(raw: &str) -> Result<i64, ContractError> {
    let s = crate::text::normalize_cell(raw).replace('．', ".");
    let bad = || ContractError::Price(raw.trim().to_string());
    let (yuan, fen) = s.split_once('.').unwrap_or((&s, ""));
    if yuan.is_empty()
        || yuan.len() > 7
        || fen.len() > 2
        || !yuan.chars().all(|c| c.is_ascii_digit())
        || !fen.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let yuan: i64 = yuan.parse().map_err(|_| bad())?;
    let fen: i64 = format!("{fen:0<2}").parse().map_err(|_| bad())?;
    Ok(yuan * 100 + fen)
}

pub fn format_price(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub fn parse_valid_until(raw: &str) -> Result<NaiveDate, ContractError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ContractError::ValidUntil(raw.trim().to_string()))
}

/// 委托N年，即日起至YYYY年MM月DD日: the same day N years on (28 February when the start is a
/// 29 February and the end year has none).
pub fn mandate_until(from: NaiveDate, years: u32) -> Result<NaiveDate, ContractError> {
    if !(1..=10).contains(&years) {
        return Err(ContractError::Years(years));
    }
    let year = from.year() + years as i32;
    Ok(NaiveDate::from_ymd_opt(year, from.month(), from.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, from.month(), from.day() - 1))
        .unwrap_or(from))
}

/// The term as the mandate prints it.
pub fn mandate_term_text(years: u32, until: NaiveDate) -> String {
    format!("委托{years}年，即日起至{}", until.format("%Y年%m月%d日"))
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
        format_price(self.price_fen)
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

    #[test]
    fn prices_are_parsed_as_text() {
        assert_eq!(parse_price("25"), Ok(2500));
        assert_eq!(parse_price("25.5"), Ok(2550));
        assert_eq!(parse_price(" ２５.０５ "), Ok(2505));
        for bad in ["", "-1", "25.005", "1e3", "25,00", ".5", "12345678"] {
            assert!(parse_price(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_state_moves_as_the_manual_says() {
        use ContractState::*;
        assert_eq!(AwaitingMandate.mandate_uploaded(), Ok(MandateUploaded));
        assert_eq!(MandateUploaded.mandate_uploaded(), Ok(MandateUploaded));
        assert_eq!(MandateUploaded.activate(), Ok(Active));
        assert_eq!(AwaitingMandate.activate(), Err(ContractError::NoMandate));
        assert_eq!(Active.mandate_uploaded(), Err(ContractError::AlreadyActive));
    }

    #[test]
    fn the_term_ends_the_same_day_years_later() {
        let from = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let until = mandate_until(from, 3).unwrap();
        assert_eq!(
            mandate_term_text(3, until),
            "委托3年，即日起至2029年12月01日"
        );
        let leap = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert_eq!(
            mandate_until(leap, 1).unwrap(),
            NaiveDate::from_ymd_opt(2029, 2, 28).unwrap()
        );
        assert!(mandate_until(from, 0).is_err());
    }
}
