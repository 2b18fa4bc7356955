//! Cell text normalisation shared by every roster field.

/// Full-width ASCII variants (U+FF01..U+FF5E) become their half-width forms and the ideographic
/// space becomes a plain space; then the ends are trimmed. Inner spaces and the name separator
/// "·" are kept, because they are part of many ethnic-minority and foreign names.
pub fn normalize_cell(raw: &str) -> String {
    let converted: String = raw
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect();
    converted
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '\u{200B}')
        .to_string()
}

/// Removes every whitespace character: identifiers (ID numbers, codes) never contain spaces,
/// but pasted values often do ("1301 2119 ...").
pub fn strip_spaces(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_width_digits_letters_and_spaces_become_half_width() {
        assert_eq!(normalize_cell("　１３０１２１ＡＢｃ　"), "130121ABc");
        assert_eq!(normalize_cell("（１）"), "(1)");
    }

    #[test]
    fn inner_spaces_and_middle_dot_are_kept() {
        assert_eq!(normalize_cell("  阿依古丽·买买提 "), "阿依古丽·买买提");
        assert_eq!(normalize_cell(" John  Smith "), "John  Smith");
    }

    proptest! {
        #[test]
        fn normalised_text_has_no_full_width_ascii_and_no_outer_space(s in "\\PC{0,40}") {
            let n = normalize_cell(&s);
            let has_wide = n.chars().any(|c| ('\u{FF01}'..='\u{FF5E}').contains(&c) || c == '\u{3000}');
            prop_assert!(!has_wide, "full-width left in {:?}", n);
            prop_assert_eq!(n.trim(), n.as_str());
            // Idempotent: normalising twice changes nothing.
            prop_assert_eq!(normalize_cell(&n), n.clone());
        }
    }
}
