//! The collection code (图像采集码): the key CHSI's channel gives each student, on the roster,
//! in a QR code, typed at a station. One rule for every place a code comes in.

use std::ops::RangeInclusive;

/// Codes seen in the manuals are 13–20 characters; the roster setting may narrow this.
pub const COLLECTION_CODE_LEN: RangeInclusive<usize> = 8..=32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectionCodeError {
    #[error("采集码只能包含字母和数字")]
    Characters,
    #[error("采集码长度应为{min}–{max}位，当前为{len}位")]
    Length { min: usize, max: usize, len: usize },
}

/// Full-width characters folded, every space removed, letters upper-cased: how a code is
/// stored and compared, whatever a spreadsheet or a scanner made of it.
pub fn normalise_collection_code(raw: &str) -> String {
    crate::text::strip_spaces(&crate::text::normalize_cell(raw)).to_ascii_uppercase()
}

/// Checks an already normalised code against the length the roster rules allow.
pub fn check_collection_code(
    code: &str,
    len: &RangeInclusive<usize>,
) -> Result<(), CollectionCodeError> {
    if !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(CollectionCodeError::Characters);
    }
    let n = code.chars().count();
    if !len.contains(&n) {
        return Err(CollectionCodeError::Length {
            min: *len.start(),
            max: *len.end(),
            len: n,
        });
    }
    Ok(())
}

/// Normalises and checks a code with the default length rule.
pub fn parse_collection_code(raw: &str) -> Result<String, CollectionCodeError> {
    let code = normalise_collection_code(raw);
    check_collection_code(&code, &COLLECTION_CODE_LEN)?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_folded_and_checked() {
        assert_eq!(
            parse_collection_code(" ２０２６ab cd0001 ").unwrap(),
            "2026ABCD0001"
        );
        assert_eq!(
            parse_collection_code("2026-0001"),
            Err(CollectionCodeError::Characters)
        );
        assert_eq!(
            parse_collection_code("1234567"),
            Err(CollectionCodeError::Length {
                min: 8,
                max: 32,
                len: 7
            })
        );
    }
}
