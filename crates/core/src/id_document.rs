//! Identity documents on a roster: the 18-character resident ID (GB 11643-1999) and other
//! documents (passports, Hong Kong/Macao/Taiwan permits) that are taken as typed.

use serde::{Deserialize, Serialize};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 居民身份证
    ResidentId,
    /// 护照, 港澳台居民居住证/通行证, 外国人永久居留证…: accepted as typed.
    Other,
}

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "number", rename_all = "snake_case")]
pub enum IdDocument {
    ResidentId(String),
    Other(String),
}

/// Masked, so that a `{:?}` in a log line or a panic message never carries a full number.
impl std::fmt::Debug for IdDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::ResidentId(_) => "ResidentId",
            Self::Other(_) => "Other",
        };
        f.debug_tuple(kind).field(&self.masked()).finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份证号应为18位，当前为{0}位")]
    WrongLength(usize),
    #[error("身份证号只能包含数字，最后一位可为X")]
    BadCharacters,
    #[error("身份证号中的出生日期 {0} 不是有效日期")]
    BadBirthDate(String),
    #[error("身份证号校验位错误：应为 {expected}，实为 {found}")]
    Checksum { expected: char, found: char },
    #[error("证件号应为5–20位字母或数字")]
    OtherDocumentFormat,
}

impl IdDocument {
    pub fn number(&self) -> &str {
        match self {
            Self::ResidentId(n) | Self::Other(n) => n,
        }
    }

    pub fn kind(&self) -> DocumentKind {
        match self {
            Self::ResidentId(_) => DocumentKind::ResidentId,
            Self::Other(_) => DocumentKind::Other,
        }
    }

    /// The last four characters, the short key students type at a station.
    pub fn last_four(&self) -> String {
        let chars: Vec<char> = self.number().chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }

    /// Classifies and validates a document number. `declared` is the roster's 证件类型 column
    /// when present; without it, digits with an optional trailing X mean a resident ID.
    pub fn parse(raw: &str, declared: Option<DocumentKind>) -> Result<Self, IdError> {
        let s = crate::text::strip_spaces(&crate::text::normalize_cell(raw));
        let looks_resident = {
            let body = s.strip_suffix(['x', 'X']).unwrap_or(&s);
            !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit())
        };
        match declared.unwrap_or(if looks_resident {
            DocumentKind::ResidentId
        } else {
            DocumentKind::Other
        }) {
            DocumentKind::ResidentId => validate_resident_id(&s).map(Self::ResidentId),
            DocumentKind::Other => {
                let ok = (5..=20).contains(&s.chars().count())
                    && s.chars().all(|c| c.is_ascii_alphanumeric());
                if ok {
                    Ok(Self::Other(s.to_ascii_uppercase()))
                } else {
                    Err(IdError::OtherDocumentFormat)
                }
            }
        }
    }

    /// Masks for lists and exports: `130121********2442`. Never log an unmasked number.
    pub fn masked(&self) -> String {
        mask_number(self.number())
    }
}

/// Masks a person's name for a station's screen: the family name's first character stays
/// (王勇 → 王*, 欧阳娜娜 → 欧***), enough for a photographer to call a student forward.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Masks any identifier: long ones keep 6 + 4 characters like a resident ID, short ones 1 + 2.
pub fn mask_number(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let n = chars.len();
    let (head, tail) = if n >= 12 {
        (6, 4)
    } else if n >= 4 {
        (1, 2)
    } else {
        (0, 0)
    };
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', n - head - tail));
    out.extend(&chars[n - tail..]);
    out
}

/// Declared-type column values: anything mentioning 身份证 is a resident ID.
pub fn parse_document_kind(raw: &str) -> Option<DocumentKind> {
    let s = crate::text::normalize_cell(raw);
    if s.is_empty() {
        None
    } else if s.contains("身份证") || s.eq_ignore_ascii_case("resident_id") {
        Some(DocumentKind::ResidentId)
    } else {
        Some(DocumentKind::Other)
    }
}

/// Validates an 18-character resident ID: digits, a real birth date, the ISO 7064 MOD 11-2 check
/// character. A lowercase x is accepted and returned as X.
pub fn validate_resident_id(raw: &str) -> Result<String, IdError> {
    let s = raw.to_ascii_uppercase();
    let n = s.chars().count();
    if n != 18 {
        return Err(IdError::WrongLength(n));
    }
    let bytes = s.as_bytes();
    if !bytes[..17].iter().all(u8::is_ascii_digit)
        || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
    {
        return Err(IdError::BadCharacters);
    }
    let birth = &s[6..14];
    if !is_real_birth_date(birth) {
        return Err(IdError::BadBirthDate(birth.to_string()));
    }
    let expected = check_character(&bytes[..17]);
    let found = bytes[17] as char;
    if expected != found {
        return Err(IdError::Checksum { expected, found });
    }
    Ok(s)
}

/// The check character for the first 17 digits.
pub fn check_character(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize] as char
}

fn is_real_birth_date(yyyymmdd: &str) -> bool {
    let (Ok(y), Ok(m), Ok(d)) = (
        yyyymmdd[0..4].parse::<u32>(),
        yyyymmdd[4..6].parse::<u32>(),
        yyyymmdd[6..8].parse::<u32>(),
    ) else {
        return false;
    };
    if !(1900..=2100).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn debug_never_shows_a_full_number() {
        let id = IdDocument::parse("14040219910109201X", None).unwrap();
        let shown = format!("{id:?} {:#?}", Some(&id));
        assert!(!shown.contains("14040219910109201X"), "{shown}");
        assert!(shown.contains("140402********201X"), "{shown}");
        let record = crate::roster::StudentRecord {
            row: 2,
            name: "王小明".into(),
            document: Some(id),
            id_last_four: Some("201X".into()),
            collection_code: None,
            student_number: None,
            examinee_number: None,
            teaching_site: None,
            department: None,
            major: None,
            class_name: None,
            enrolment_year: None,
            category: crate::EducationCategory::Regular,
            level: None,
        };
        let shown = format!("{record:?}");
        assert!(
            !shown.contains("14040219910109201X") && !shown.contains("王小明"),
            "{shown}"
        );
    }

    #[test]
    fn the_manuals_example_id_is_valid() {
        assert_eq!(
            validate_resident_id("130121199005102442").unwrap(),
            "130121199005102442"
        );
        assert_eq!(
            validate_resident_id("14040219910109201X").unwrap(),
            "14040219910109201X"
        );
    }

    #[test]
    fn lowercase_x_becomes_uppercase() {
        assert_eq!(
            validate_resident_id("14040219910109201x").unwrap(),
            "14040219910109201X"
        );
        assert_eq!(
            IdDocument::parse("14040219910109201x", None).unwrap(),
            IdDocument::ResidentId("14040219910109201X".into())
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            validate_resident_id("13012119900510244"),
            Err(IdError::WrongLength(17))
        );
        assert_eq!(
            validate_resident_id("1301211990051024X2"),
            Err(IdError::BadCharacters)
        );
        assert_eq!(
            validate_resident_id("130121199002302449"),
            Err(IdError::BadBirthDate("19900230".into()))
        );
        assert_eq!(
            validate_resident_id("130121199005102443"),
            Err(IdError::Checksum {
                expected: '2',
                found: '3'
            })
        );
    }

    #[test]
    fn leap_days() {
        assert!(is_real_birth_date("20000229"));
        assert!(!is_real_birth_date("19000229"));
        assert!(!is_real_birth_date("20230229"));
        assert!(is_real_birth_date("20240229"));
    }

    #[test]
    fn passports_are_taken_as_typed_and_declared_type_wins() {
        assert_eq!(
            IdDocument::parse("E12345678", None).unwrap(),
            IdDocument::Other("E12345678".into())
        );
        assert_eq!(
            IdDocument::parse("h0123456701", None).unwrap(),
            IdDocument::Other("H0123456701".into())
        );
        assert_eq!(
            IdDocument::parse("AB1", None),
            Err(IdError::OtherDocumentFormat)
        );
        assert_eq!(
            IdDocument::parse("E1234-5678", None),
            Err(IdError::OtherDocumentFormat)
        );
        // A declared passport made of digits is not forced through the checksum.
        assert_eq!(
            IdDocument::parse("123456789", Some(DocumentKind::Other)).unwrap(),
            IdDocument::Other("123456789".into())
        );
        // A declared resident ID with letters is a resident ID with bad characters.
        assert_eq!(
            IdDocument::parse("E12345678", Some(DocumentKind::ResidentId)),
            Err(IdError::WrongLength(9))
        );
        assert_eq!(
            parse_document_kind("居民身份证"),
            Some(DocumentKind::ResidentId)
        );
        assert_eq!(parse_document_kind("护照"), Some(DocumentKind::Other));
        assert_eq!(parse_document_kind(""), None);
    }

    #[test]
    fn names_keep_their_first_character() {
        assert_eq!(mask_name("王勇"), "王*");
        assert_eq!(mask_name(" 欧阳娜娜 "), "欧***");
        assert_eq!(mask_name("A"), "A");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn masking_keeps_six_and_four() {
        assert_eq!(mask_number("130121199005102442"), "130121********2442");
        assert_eq!(mask_number("E12345678"), "E******78");
        assert_eq!(
            IdDocument::ResidentId("14040219910109201X".into()).last_four(),
            "201X"
        );
    }

    fn valid_id() -> impl Strategy<Value = String> {
        (
            100000u32..999999,
            1950u32..2010,
            1u32..=12,
            1u32..=28,
            0u32..1000,
        )
            .prop_map(|(area, y, m, d, seq)| {
                let first17 = format!("{area:06}{y:04}{m:02}{d:02}{seq:03}");
                let check = check_character(first17.as_bytes());
                format!("{first17}{check}")
            })
    }

    proptest! {
        #[test]
        fn every_generated_valid_id_passes(id in valid_id()) {
            prop_assert_eq!(validate_resident_id(&id).unwrap(), id.clone());
            let lower = id.to_lowercase();
            prop_assert_eq!(validate_resident_id(&lower).unwrap(), id.clone());
            // Full-width digits and surrounding spaces are normalised away.
            let wide: String = id.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
            prop_assert_eq!(IdDocument::parse(&format!(" {wide} "), None).unwrap(), IdDocument::ResidentId(id));
        }

        #[test]
        fn any_single_digit_change_breaks_the_checksum(id in valid_id(), pos in 0usize..17, delta in 1u8..10) {
            let mut b = id.clone().into_bytes();
            b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(b).unwrap();
            // Changing a digit either breaks the date or the check character: never valid.
            prop_assert!(validate_resident_id(&changed).is_err());
        }

        #[test]
        fn parser_never_panics_and_masking_keeps_length(s in "\\PC{0,30}") {
            let _ = IdDocument::parse(&s, None);
            let _ = IdDocument::parse(&s, Some(DocumentKind::ResidentId));
            prop_assert_eq!(mask_number(&s).chars().count(), s.chars().count());
        }
    }
}
