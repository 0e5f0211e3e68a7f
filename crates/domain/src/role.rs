//! Who acts (roles) and through which door an application comes (channels).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable lowercase code of contract.md.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err(UnknownCode {
                        what: stringify!($name),
                        code: s.to_owned(),
                        known: vec![$($code),+],
                    }),
                }
            }
        }
    };
}

/// A code that names no known value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {} `{code}` (known: {})", what.to_lowercase(), known.join(", "))]
pub struct UnknownCode {
    pub what: &'static str,
    pub code: String,
    pub known: Vec<&'static str>,
}

code_enum!(
    /// A person's role in Qyzmet (contract.md, "Roles").
    Role {
        Clerk => "clerk",
        Head => "head",
        Specialist => "specialist",
        Operator => "operator",
        Admin => "admin",
        Auditor => "auditor",
        Applicant => "applicant",
    }
);

code_enum!(
    /// How an application reaches the provider (contract.md, "Channels").
    Channel {
        Office => "office",
        StateCorporation => "state-corporation",
        Portal => "portal",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.code().parse::<Role>().unwrap(), *r);
        }
        for c in Channel::ALL {
            assert_eq!(c.code().parse::<Channel>().unwrap(), *c);
        }
        let err = "boss".parse::<Role>().unwrap_err();
        assert!(err.to_string().starts_with("unknown role `boss`"), "{err}");
    }
}
