//! Win32 error codes the model reports, with their names.
//!
//! The model speaks plain `u32` Win32 codes wrapped in [`Win32Error`]; the surfaces turn them into
//! `WIN32_ERROR` / last-error values, the scenario format into names like `ERROR_NOT_FOUND`.

use std::fmt;

/// A Win32 error code as the model reports it (`GetLastError()` after a failed call).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Win32Error(pub u32);

macro_rules! codes {
    ($($name:ident = $value:expr),* $(,)?) => {
        impl Win32Error {
            $(
                #[doc = concat!("`", stringify!($name), "` (", stringify!($value), ").")]
                pub const $name: Win32Error = Win32Error($value);
            )*
        }
        /// Every code the model can produce, with its Win32 name, sorted by name.
        const NAMES: &[(&str, u32)] = &[$((stringify!($name), $value)),*];
        /// The names as serde variants, then the escape for other codes.
        const VARIANTS: &[&str] = &[$(stringify!($name)),*, RAW_VARIANT];
    };
}

codes! {
    ERROR_SUCCESS = 0,
    ERROR_ACCESS_DENIED = 5,
    ERROR_INVALID_HANDLE = 6,
    ERROR_NOT_ENOUGH_MEMORY = 8,
    ERROR_GEN_FAILURE = 31,
    ERROR_NOT_SUPPORTED = 50,
    ERROR_NETWORK_BUSY = 54,
    ERROR_ADAP_HDW_ERR = 57,
    ERROR_UNEXP_NET_ERR = 59,
    ERROR_BAD_NET_NAME = 67,
    ERROR_INVALID_PARAMETER = 87,
    ERROR_INSUFFICIENT_BUFFER = 122,
    ERROR_BUSY = 170,
    ERROR_ALREADY_EXISTS = 183,
    ERROR_NO_DATA = 232,
    ERROR_SYSTEM_POWERSTATE_TRANSITION = 782,
    ERROR_SYSTEM_POWERSTATE_COMPLEX_TRANSITION = 783,
    ERROR_OPERATION_ABORTED = 995,
    ERROR_IO_INCOMPLETE = 996,
    ERROR_IO_PENDING = 997,
    ERROR_SERVICE_DEPENDENCY_FAIL = 1068,
    ERROR_IO_DEVICE = 1117,
    ERROR_DEVICE_REINITIALIZATION_NEEDED = 1164,
    ERROR_NOT_FOUND = 1168,
    ERROR_CONNECTION_REFUSED = 1225,
    ERROR_HOST_UNREACHABLE = 1232,
    ERROR_RETRY = 1237,
    ERROR_ACCESS_DISABLED_BY_POLICY = 1260,
    ERROR_NO_SYSTEM_RESOURCES = 1450,
    ERROR_TIMEOUT = 1460,
    ERROR_RESOURCE_DISABLED = 4309,
}

impl Win32Error {
    /// The Win32 name of this code (`"ERROR_NOT_FOUND"`), if the model knows it.
    pub fn name(self) -> Option<&'static str> {
        NAMES.iter().find(|(_, v)| *v == self.0).map(|(n, _)| *n)
    }

    /// Looks a code up by its Win32 name.
    pub fn from_name(name: &str) -> Option<Win32Error> {
        NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| Win32Error(*v))
    }

    /// All names the model knows, in declaration order.
    pub fn all() -> impl Iterator<Item = Win32Error> {
        NAMES.iter().map(|(_, v)| Win32Error(*v))
    }
}

impl fmt::Display for Win32Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "WIN32_ERROR({})", self.0),
        }
    }
}

/// The serde variant for a code without a name: `WIN32_ERROR(4242)`.
const RAW_VARIANT: &str = "WIN32_ERROR";

/// Written as a unit variant named after the code (`ERROR_NOT_FOUND`: a bare identifier in
/// RON, a string in JSON), or `WIN32_ERROR(4242)` for a code without a name.
impl serde::Serialize for Win32Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match NAMES.iter().position(|(_, v)| *v == self.0) {
            Some(i) => s.serialize_unit_variant("Win32Error", i as u32, NAMES[i].0),
            None => s.serialize_newtype_variant("Win32Error", NAMES.len() as u32, RAW_VARIANT, &self.0),
        }
    }
}

/// A variant name, read as an identifier (RON) or a string (JSON).
struct Ident(String);

impl<'de> serde::Deserialize<'de> for Ident {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Ident;
            // Never shown by RON or JSON, which hand a variant over as a name or a string
            // (other input fails in the outer visitor), so replacing it is an equivalent mutant.
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Win32 error name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Ident, E> {
                Ok(Ident(v.to_string()))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Read from a name (`ERROR_NOT_FOUND`) or `WIN32_ERROR(number)`.
impl<'de> serde::Deserialize<'de> for Win32Error {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{EnumAccess, VariantAccess};
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Win32Error;
            // Not shown by RON or JSON either: each reports a value that is not a name or an
            // object in its own words ("Expected identifier", "expected value"), so replacing
            // it is an equivalent mutant; other serde formats would show it.
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Win32 error name such as ERROR_NOT_FOUND, or WIN32_ERROR(number)")
            }
            fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<Win32Error, A::Error> {
                let (Ident(name), rest): (Ident, A::Variant) = a.variant()?;
                if name == RAW_VARIANT {
                    return rest.newtype_variant::<u32>().map(Win32Error);
                }
                let code = Win32Error::from_name(&name).ok_or_else(|| {
                    <A::Error as serde::de::Error>::custom(format!("unknown Win32 error name `{name}`"))
                })?;
                rest.unit_variant()?;
                Ok(code)
            }
        }
        d.deserialize_enum("Win32Error", VARIANTS, V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Win32Error::all() {
            assert_eq!(Win32Error::from_name(e.name().unwrap()), Some(e));
        }
        assert_eq!(Win32Error(4242).name(), None);
        assert_eq!(Win32Error::ERROR_NOT_FOUND.to_string(), "ERROR_NOT_FOUND");
    }

    #[test]
    fn serde_uses_bare_names() {
        let ron_of = |e: Win32Error| ron::to_string(&e).unwrap();
        assert_eq!(ron_of(Win32Error::ERROR_NOT_FOUND), "ERROR_NOT_FOUND");
        assert_eq!(ron_of(Win32Error(4242)), "WIN32_ERROR(4242)");
        for text in ["ERROR_NO_DATA", "WIN32_ERROR(4242)"] {
            let e: Win32Error = ron::from_str(text).unwrap();
            assert_eq!(ron_of(e), text);
        }
        assert!(ron::from_str::<Win32Error>("ERROR_NOPE").is_err());
        assert!(ron::from_str::<Win32Error>("\"ERROR_NO_DATA\"").is_err());
        let json = serde_json::to_string(&Win32Error::ERROR_BUSY).unwrap();
        assert_eq!(json, "\"ERROR_BUSY\"");
        assert_eq!(
            serde_json::from_str::<Win32Error>(&json).unwrap(),
            Win32Error::ERROR_BUSY
        );
    }
}
