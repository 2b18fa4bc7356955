//! What a photographer types, scans or reads from a QR code into a station's identify field:
//! a session sheet, an ID's last four (with or without the session's feature code), or a
//! collection code. One reading, used by the window and the command line alike.

/// What a session sheet's QR code holds after this prefix: the school and the feature code.
pub const SESSION_SHEET_PREFIX: &str = "PHOTOROLL-SESSION:";

pub fn session_sheet_payload(school_code: &str, feature_code: &str) -> String {
    format!("{SESSION_SHEET_PREFIX}{school_code}:{feature_code}")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// A session sheet: switch to that session.
    SessionSheet {
        school: String,
        feature_code: String,
    },
    /// An ID's last four characters, within the station's session.
    LastFour(String),
    /// Last four and a feature code, as students type them ("2442 1234").
    LastFourAndFeature {
        last_four: String,
        feature_code: String,
    },
    /// A collection code, normalised as the roster stores it.
    Code(String),
    /// Neither: a QR code from something else, a typo. Kept (shortened) to show back.
    NotACode(String),
}

/// Normalises what a student types as the last four: upper case X, ASCII brackets, full-width
/// digits folded.
pub fn normalise_last_four(text: &str) -> String {
    crate::text::normalize_cell(text)
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

fn is_last_four(s: &str) -> bool {
    s.chars().count() == 4
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, 'X' | '(' | ')'))
}

/// Reads a line from the identify field. `None` when it is empty.
pub fn read_typed(text: &str) -> Option<Typed> {
    let raw = text.trim();
    if raw.is_empty() {
        return None;
    }
    if let Some(rest) = raw.strip_prefix(SESSION_SHEET_PREFIX)
        && let Some((school, feature)) = rest.split_once(':')
    {
        return Some(Typed::SessionSheet {
            school: school.to_string(),
            feature_code: feature.to_string(),
        });
    }
    let compact: String = normalise_last_four(raw)
        .chars()
        .filter(|c| !matches!(c, ' ' | '+' | '-'))
        .collect();
    if is_last_four(&compact) {
        return Some(Typed::LastFour(compact));
    }
    if compact.chars().count() == 8 {
        let head: String = compact.chars().take(4).collect();
        let tail: String = compact.chars().skip(4).collect();
        if is_last_four(&head) && tail.chars().all(|c| c.is_ascii_digit()) {
            return Some(Typed::LastFourAndFeature {
                last_four: head,
                feature_code: tail,
            });
        }
    }
    Some(match crate::parse_collection_code(raw) {
        Ok(code) => Typed::Code(code),
        Err(_) => Typed::NotACode(raw.chars().take(64).collect()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn typed_lines_are_told_apart() {
        assert_eq!(read_typed("  "), None);
        assert_eq!(read_typed("244x"), Some(Typed::LastFour("244X".into())));
        assert_eq!(read_typed("（12）"), Some(Typed::LastFour("(12)".into())));
        assert_eq!(read_typed("２４４２"), Some(Typed::LastFour("2442".into())));
        assert_eq!(
            read_typed("2442 0815"),
            Some(Typed::LastFourAndFeature {
                last_four: "2442".into(),
                feature_code: "0815".into()
            })
        );
        assert_eq!(
            read_typed(&session_sheet_payload("99001", "0815")),
            Some(Typed::SessionSheet {
                school: "99001".into(),
                feature_code: "0815".into()
            })
        );
        assert_eq!(
            read_typed(" 2026000100123 "),
            Some(Typed::Code("2026000100123".into()))
        );
        // The roster stores codes upper-cased: a scanner sending lower case finds the student.
        assert_eq!(read_typed("abcd1234"), Some(Typed::Code("ABCD1234".into())));
        assert_eq!(
            read_typed("https://example.com/x"),
            Some(Typed::NotACode("https://example.com/x".into()))
        );
    }

    proptest! {
        #[test]
        fn any_line_reads_without_panicking(line in ".{0,500}") {
            if let Some(Typed::Code(c)) = read_typed(&line) {
                prop_assert!(crate::parse_collection_code(&c).is_ok());
            }
        }
    }
}
