//! The password policy of the admin manual §2.

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("密码长度必须在8–20位之间")]
    Length,
    #[error("密码必须同时包含字母和数字")]
    NeedsLettersAndDigits,
    #[error("密码只能由英文字母、数字和英文符号组成（不能有空格、中文或全角字符）")]
    UnsupportedCharacter,
    #[error("密码不能出现连续三位相同的字符（如 aaa、111）")]
    TripleRepeat,
    #[error("密码不能出现连续6位递增或递减的数字（如 123456、654321）")]
    DigitRun,
}

/// Checks every rule and returns each one broken, in the order the manual states them, so a
/// user fixes the password in one go.
pub fn check_password(pw: &str) -> Vec<PasswordError> {
    let chars: Vec<char> = pw.chars().collect();
    let mut broken = Vec::new();
    if !(8..=20).contains(&chars.len()) {
        broken.push(PasswordError::Length);
    }
    // The manual allows symbols (`abc12345!`); a space, a control character or a full-width
    // or Chinese character cannot be typed reliably on every keyboard and phone, so those stay out.
    if !chars.iter().all(char::is_ascii_graphic) {
        broken.push(PasswordError::UnsupportedCharacter);
    }
    if !(chars.iter().any(char::is_ascii_alphabetic) && chars.iter().any(char::is_ascii_digit)) {
        broken.push(PasswordError::NeedsLettersAndDigits);
    }
    if chars.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]) {
        broken.push(PasswordError::TripleRepeat);
    }
    let digit_run = chars.windows(6).any(|w| {
        let digits: Option<Vec<i32>> = w.iter().map(|c| c.to_digit(10).map(|d| d as i32)).collect();
        digits.is_some_and(|d| {
            d.windows(2).all(|p| p[1] - p[0] == 1) || d.windows(2).all(|p| p[0] - p[1] == 1)
        })
    });
    if digit_run {
        broken.push(PasswordError::DigitRun);
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::PasswordError::*;
    use super::*;

    #[test]
    fn the_manuals_bad_examples_fail_for_their_reasons() {
        assert_eq!(
            check_password("aaa"),
            vec![Length, NeedsLettersAndDigits, TripleRepeat]
        );
        assert_eq!(check_password("bbb123456"), vec![TripleRepeat, DigitRun]);
        assert_eq!(check_password("111222ccc"), vec![TripleRepeat]);
    }

    #[test]
    fn each_rule_alone() {
        assert_eq!(check_password("ab12cd3"), vec![Length]);
        assert_eq!(check_password("ab12cd34ef56gh78ij901"), vec![Length]);
        assert_eq!(check_password("abcdefgh"), vec![NeedsLettersAndDigits]);
        assert_eq!(check_password("13572468"), vec![NeedsLettersAndDigits]);
        assert_eq!(check_password("ab12 cd3"), vec![UnsupportedCharacter]);
        assert_eq!(check_password("ab12cd3４"), vec![UnsupportedCharacter]);
        assert_eq!(check_password("密码ab12cd34"), vec![UnsupportedCharacter]);
        assert_eq!(check_password("x654321y"), vec![DigitRun]);
        assert_eq!(check_password("x345678y"), vec![DigitRun]);
        // Five in a row is allowed; so are two repeats.
        assert!(check_password("x12345yz").is_empty());
        assert!(check_password("Photo2026roll").is_empty());
        assert!(check_password("aa11bb22").is_empty());
        // Symbols are allowed, as the manual's policy allows them.
        assert!(check_password("abc12345!").is_empty());
        assert!(check_password("P@ss-w0rd_#2026").is_empty());
    }

    #[test]
    fn messages_are_distinct_and_chinese() {
        let all = [
            Length,
            NeedsLettersAndDigits,
            UnsupportedCharacter,
            TripleRepeat,
            DigitRun,
        ];
        let msgs: std::collections::HashSet<String> = all.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), all.len());
        assert!(msgs.iter().all(|m| m.contains("密码")));
    }
}
