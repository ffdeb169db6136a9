//! The limits an operation's value is held to, written once: the server refuses what breaks
//! them and the client checks the same constants before it writes, so nothing valid on a
//! device is refused by the server.

use serde_json::Value;

/// The most bytes of JSON one operation's value may take, counted as the encoded text.
pub const MAX_VALUE_BYTES: usize = 256 * 1024;

/// The deepest nesting of arrays and objects in one value. Duly's own records nest four
/// deep at most (a task's checklist items); JSON readers give up at 128 levels counted over
/// the whole message, and a value ends up several levels down in a pull page.
pub const MAX_VALUE_DEPTH: usize = 16;

/// How far ahead of the server's clock an operation's stamp may be. A stamp further ahead
/// would win every later merge until the world's clocks caught up with it; the client whose
/// stamps are refused corrects its clock by the server's time and stamps them again.
pub const MAX_CLOCK_AHEAD_SECS: u64 = 5 * 60;

/// The longest login name; checked before any other work on a login.
pub const MAX_LOGIN_BYTES: usize = 100;

/// The longest password: longer than any passphrase anyone types; bounds the hashing work of
/// one login attempt.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The shortest password an account may be given.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The longest name of a user, counted in characters once trimmed.
pub const MAX_USER_NAME_CHARS: usize = 200;

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueProblem {
    TooLarge { bytes: usize },
    TooDeep { depth: usize },
}

impl std::fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { bytes } => {
                write!(f, "value of {bytes} bytes is over the limit of {MAX_VALUE_BYTES}")
            }
            Self::TooDeep { depth } => {
                write!(f, "value nested {depth} deep is over the limit of {MAX_VALUE_DEPTH}")
            }
        }
    }
}

/// Checks a value against both limits.
pub fn check_value(value: &Value) -> Result<(), ValueProblem> {
    let depth = depth(value);
    if depth > MAX_VALUE_DEPTH {
        return Err(ValueProblem::TooDeep { depth });
    }
    let bytes = encoded_len(value);
    if bytes > MAX_VALUE_BYTES {
        return Err(ValueProblem::TooLarge { bytes });
    }
    Ok(())
}

/// The length of the value as JSON text, the way it travels.
pub fn encoded_len(value: &Value) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |bytes| bytes.len())
}

/// Levels of arrays and objects: a scalar is 0, `[]` is 1, `[[1]]` is 2. Walked with a stack
/// of its own, so no value can exhaust the thread's.
pub fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(value, 0usize)];
    while let Some((value, level)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(fields) => Box::new(fields.values()),
            _ => continue,
        };
        deepest = deepest.max(level + 1);
        pending.extend(children.map(|child| (child, level + 1)));
    }
    deepest
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn depth_counts_containers() {
        assert_eq!(depth(&json!("x")), 0);
        assert_eq!(depth(&json!([])), 1);
        assert_eq!(depth(&json!({"checklist": [{"text": "a", "done": false}]})), 3);
        let deep: Value = serde_json::from_str(&format!("{}{}", "[".repeat(124), "]".repeat(124)))
            .expect("124 levels parse");
        assert_eq!(depth(&deep), 124);
        assert_eq!(check_value(&deep), Err(ValueProblem::TooDeep { depth: 124 }));
    }

    #[test]
    fn size_is_counted_in_encoded_bytes() {
        // 90,000 euro signs are 90,000 characters but 270,000 bytes of UTF-8.
        let euros = json!("€".repeat(90_000));
        assert_eq!(check_value(&euros), Err(ValueProblem::TooLarge { bytes: 270_002 }));
        let ascii = json!("e".repeat(90_000));
        assert_eq!(check_value(&ascii), Ok(()));
    }
}
