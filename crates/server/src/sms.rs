//! Sending sign-in codes. A real SMS gateway is a contract we cannot sign from here, so the
//! built-in sender writes the code to the server log (an operator reads it out on the phone, and
//! the tests read it from the log). A gateway plugs in by implementing [`SmsSender`].

use std::fmt;

#[derive(Debug, thiserror::Error)]
#[error("短信发送失败: {0}")]
pub struct SmsError(pub String);

pub trait SmsSender: Send + Sync + fmt::Debug {
    /// Sends `code` to `phone`. The code is secret: an implementation must not log it anywhere
    /// but where it is meant to be read.
    fn send_code(&self, phone: &str, code: &str) -> Result<(), SmsError>;
}

/// Writes each code to the log at INFO, target `photoroll_server::sms`, as
/// `sms code for 138****5678: 123456 (phone 13812345678)`.
#[derive(Debug, Default)]
pub struct LogSmsSender;

impl SmsSender for LogSmsSender {
    fn send_code(&self, phone: &str, code: &str) -> Result<(), SmsError> {
        // The whole phone number is logged only here: whoever reads the log must know which
        // phone to read the code out to. Everywhere else phones are masked.
        tracing::info!(target: "photoroll_server::sms", "sms code for {}: {code} (phone {phone})", mask_phone(phone));
        Ok(())
    }
}

/// `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// A mainland mobile number: 11 digits starting with 1. Spaces and dashes are dropped.
pub fn parse_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = digits.strip_prefix("+86").unwrap_or(&digits).to_string();
    (digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit()))
        .then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(parse_phone("138 1234-5678").as_deref(), Some("13812345678"));
        assert_eq!(
            parse_phone("+8613812345678").as_deref(),
            Some("13812345678")
        );
        assert_eq!(parse_phone("23812345678"), None);
        assert_eq!(parse_phone("1381234567"), None);
        assert_eq!(parse_phone("1381234567x"), None);
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }
}
