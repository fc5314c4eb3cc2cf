//! Salesforce record Ids: the case-sensitive 15-character form and the case-insensitive
//! 18-character form (the 15 characters plus a 3-character checksum of their case).
//!
//! Both forms name the same record everywhere an Id is taken. The server keeps the
//! 15-character form and answers with the 18-character one, as the REST API does.

use std::fmt;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SUFFIX: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The pod/instance characters the fake puts after the key prefix of every Id it makes.
const POD: &[u8; 3] = b"5g0";

/// One record Id, kept in its case-sensitive 15-character form.
///
/// Ordering is byte order of the 15 characters, which for Ids the fake generates
/// (base-62 counters with `0-9A-Za-z` digits) is creation order, as in Salesforce.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SfId([u8; 15]);

impl SfId {
    /// The Id with key prefix `prefix` (3 characters, such as `00Q`) and sequence `n`.
    pub fn new(prefix: &str, n: u64) -> SfId {
        let mut out = [b'0'; 15];
        for (slot, b) in out.iter_mut().zip(prefix.bytes().take(3)) {
            *slot = b;
        }
        out[3..6].copy_from_slice(POD);
        let mut rest = n;
        for slot in out[6..].iter_mut().rev() {
            *slot = BASE62[(rest % 62) as usize];
            rest /= 62;
        }
        SfId(out)
    }

    /// The smallest Id with a given prefix: a lower bound for keyset ranges.
    pub fn min() -> SfId {
        SfId([b'0'; 15])
    }

    /// The largest possible Id: an upper bound for keyset ranges.
    pub fn max() -> SfId {
        SfId([b'z'; 15])
    }

    /// Reads a 15- or 18-character Id; `None` when it is neither. An 18-character Id is
    /// read case-insensitively: its checksum says which letters are upper case.
    pub fn parse(text: &str) -> Option<SfId> {
        let bytes = text.as_bytes();
        if !bytes.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        match bytes.len() {
            15 => {
                let mut out = [0u8; 15];
                out.copy_from_slice(bytes);
                Some(SfId(out))
            }
            18 => {
                let mut out = [0u8; 15];
                for chunk in 0..3 {
                    let suffix = bytes[15 + chunk].to_ascii_uppercase();
                    let bits = SUFFIX.iter().position(|&c| c == suffix)?;
                    for i in 0..5 {
                        let c = bytes[chunk * 5 + i];
                        out[chunk * 5 + i] = if bits & (1 << i) != 0 {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        };
                    }
                }
                Some(SfId(out))
            }
            _ => None,
        }
    }

    /// The 3-character key prefix naming the object type (`00Q` Lead, `003` Contact).
    pub fn prefix(&self) -> &str {
        std::str::from_utf8(&self.0[..3]).unwrap_or("")
    }

    /// The case-sensitive 15-character form.
    pub fn as_15(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The 18-character form the API answers with.
    pub fn to_18(&self) -> String {
        let mut s = String::with_capacity(18);
        s.push_str(self.as_15());
        for chunk in self.0.chunks(5) {
            let mut bits = 0usize;
            for (i, c) in chunk.iter().enumerate() {
                if c.is_ascii_uppercase() {
                    bits |= 1 << i;
                }
            }
            s.push(char::from(SUFFIX[bits]));
        }
        s
    }
}

impl fmt::Display for SfId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_18())
    }
}

impl fmt::Debug for SfId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SfId({})", self.to_18())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_matches_salesforce_published_examples() {
        // A commonly quoted pair: 001A0000006Vm9r / 001A0000006Vm9rIAC.
        let Some(id) = SfId::parse("001A0000006Vm9r") else {
            panic!("valid 15-char id");
        };
        assert_eq!(id.to_18(), "001A0000006Vm9rIAC");
        assert_eq!(SfId::parse("001A0000006Vm9rIAC"), Some(id));
        assert_eq!(
            SfId::parse("001a0000006vm9riac"),
            Some(id),
            "18 is case-insensitive"
        );
        assert_eq!(SfId::parse("001A0000006VM9RIAC"), Some(id));
    }

    #[test]
    fn generated_ids_order_by_sequence_and_round_trip() {
        let a = SfId::new("00Q", 61);
        let b = SfId::new("00Q", 62);
        assert!(a < b);
        assert_eq!(a.prefix(), "00Q");
        assert_eq!(SfId::parse(&b.to_18()), Some(b));
        assert_eq!(SfId::parse(b.as_15()), Some(b));
        assert_eq!(SfId::parse("00Q5g0"), None);
        assert_eq!(SfId::parse("00Q5g000000000!"), None);
    }
}
