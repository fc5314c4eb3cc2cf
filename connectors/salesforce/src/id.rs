//! Salesforce record Ids: 15 characters (case-sensitive) or 18 (the 15 plus a
//! 3-character checksum of their letter case). Both name the same record; the connector
//! always answers the 18-character form, so keys compare equal whichever form came in.

/// The alphabet of the checksum characters.
const CHECKSUM: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The 18-character form of `id`, or `None` when it is not a well-formed Id (so a
/// malformed key never reaches a query).
pub(crate) fn to_18(id: &str) -> Option<String> {
    let id = id.trim();
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    match id.len() {
        15 => {
            let mut out = String::with_capacity(18);
            out.push_str(id);
            for chunk in id.as_bytes().chunks(5) {
                let mut bits = 0usize;
                for (i, b) in chunk.iter().enumerate() {
                    if b.is_ascii_uppercase() {
                        bits |= 1 << i;
                    }
                }
                out.push(char::from(CHECKSUM[bits]));
            }
            Some(out)
        }
        // The checksum is read case-insensitively; the first 15 are authoritative.
        18 => to_18(&id[..15]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_and_eighteen_character_ids_agree() {
        // Salesforce's documented example pair.
        assert_eq!(
            to_18("001A0000006Vm9r").as_deref(),
            Some("001A0000006Vm9rIAC")
        );
        assert_eq!(
            to_18("001A0000006Vm9rIac").as_deref(),
            Some("001A0000006Vm9rIAC")
        );
        assert_eq!(to_18("001A0000006Vm9"), None);
        assert_eq!(to_18("001A0000006Vm9r' OR"), None);
    }
}
