//! The IBAN (ISO 13616): a country code, two check digits and the account
//! number, the whole read as a number giving 1 modulo 97. A payment goes to
//! the account it names, so a mistyped digit is caught here, before anyone
//! signs a decision with it.

/// Why a string is not an IBAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IbanError {
    /// Not two letters, two digits and 11 to 30 letters or digits.
    #[error(
        "an IBAN is two letters, two check digits and the account number (15 to 34 characters)"
    )]
    Shape,
    /// Shaped like one, but the check digits do not match the rest.
    #[error("the check digits do not match the account number: a character is mistyped")]
    CheckDigits,
}

/// The IBAN as it is stored: spaces and dashes removed, letters in upper
/// case (people copy it in groups of four, as banks print it), and a Cyrillic
/// letter that looks like a Latin one taken as that one (a Kazakh or
/// Russian keyboard types the К and Т of `KZT` so; an IBAN has only Latin
/// letters, and its check digits still have the last word).
pub fn normalized(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            'А' => 'A',
            'В' => 'B',
            'Е' => 'E',
            'К' => 'K',
            'М' => 'M',
            'Н' => 'H',
            'О' => 'O',
            'Р' => 'P',
            'С' => 'C',
            'Т' => 'T',
            'Х' => 'X',
            c => c,
        })
        .collect()
}

/// Checks an IBAN written without spaces, in upper case.
pub fn check(s: &str) -> Result<(), IbanError> {
    let b = s.as_bytes();
    let shaped = (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    if !shaped {
        return Err(IbanError::Shape);
    }
    // The first four characters moved to the end, each letter read as two
    // digits (A = 10 … Z = 35), the remainder taken as it goes.
    let remainder = b[4..].iter().chain(&b[..4]).fold(0u32, |r, &c| {
        if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else {
            (r * 100 + u32::from(c - b'A') + 10) % 97
        }
    });
    if remainder == 1 {
        Ok(())
    } else {
        Err(IbanError::CheckDigits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_good() {
        // A Kazakh one, and the ISO 13616 examples of two other countries.
        for s in [
            "KZ86125KZT5004100100",
            "GB82WEST12345698765432",
            "DE89370400440532013000",
        ] {
            assert_eq!(check(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn one_mistyped_character_is_caught() {
        let good = "KZ86125KZT5004100100";
        for i in 4..good.len() {
            let mut b = good.as_bytes().to_vec();
            b[i] = if b[i] == b'9' {
                b'0'
            } else if b[i] == b'Z' {
                b'A'
            } else {
                b[i] + 1
            };
            let s = String::from_utf8(b).unwrap();
            assert_eq!(check(&s), Err(IbanError::CheckDigits), "{s}");
        }
        // Two neighbours swapped.
        assert_eq!(check("KZ86125KZT5004101000"), Err(IbanError::CheckDigits));
    }

    #[test]
    fn shape() {
        for s in [
            "",
            "KZ86",
            "kz86125KZT5004100100",
            "KZ8A125KZT5004100100",
            "KZ86125KZT50041001-0",
        ] {
            assert_eq!(check(s), Err(IbanError::Shape), "{s}");
        }
    }

    #[test]
    fn normalizing() {
        assert_eq!(
            normalized(" kz86 125k zt50 0410 0100 "),
            "KZ86125KZT5004100100"
        );
        assert_eq!(check(&normalized("KZ86 125K ZT50 0410 0100")), Ok(()));
        assert_eq!(
            normalized("KZ86-125K-ZT50-0410-0100"),
            "KZ86125KZT5004100100"
        );
        // К, Т (Cyrillic) and З (not a look-alike: left, and refused).
        assert_eq!(normalized("кz86125КZТ5004100100"), "KZ86125KZT5004100100");
        assert_eq!(
            check(&normalized("KЗ86125KZT5004100100")),
            Err(IbanError::Shape)
        );
    }
}
