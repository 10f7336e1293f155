//! How a [`Step`] is read and written.
//!
//! A call step is one struct-like variant, `QueryFlow(handle: "qos", flow: "voice", op:
//! Fundamentals, expect: Err(ERROR_NO_DATA))`: the call's fields, read and written by the derived
//! serde code of [`Call`], then its [`Expectation`]'s. Reading makes one pass over the variant's
//! fields, taking the expectation's keys here and handing the others to the call's
//! deserializer, so errors keep their positions in the file and the messages list both kinds of
//! field ("Unexpected field named \`x\` in \`CloseHandle\`, expected either \`handle\` or
//! \`expect\` instead"). The other steps are a derived enum, `StepRepr`.

use std::fmt;
use std::sync::OnceLock;

use serde::de::value::{BorrowedStrDeserializer, EnumAccessDeserializer};
use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, VariantAccess, Visitor};
use serde::ser::{self, Impossible, SerializeStruct, SerializeStructVariant};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::schema::{
    call_keyword, is_default, Addr, CallStep, Check, Data, Dur, ExpectField, Expectation, Named, Ref,
    SockExpect, Step,
};
use crate::call::Call;
use crate::model::{Family, Fault, Func, Protocol, Win32Error};

/// The steps that are not calls, derived. `Call` is skipped: [`Step`]'s own impls handle it.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(remote = "Step", deny_unknown_fields)]
enum StepRepr {
    #[serde(skip)]
    Call(CallStep),
    Socket {
        socket: String,
        family: Family,
        protocol: Protocol,
        #[serde(default, skip_serializing_if = "is_default")]
        expect: SockExpect,
    },
    Bind {
        socket: Ref,
        addr: Option<Addr>,
        #[serde(default, skip_serializing_if = "is_default")]
        expect: SockExpect,
    },
    Connect {
        socket: Ref,
        addr: Option<Addr>,
        #[serde(default, skip_serializing_if = "is_default")]
        expect: SockExpect,
    },
    CloseSocket {
        socket: Ref,
        #[serde(default, skip_serializing_if = "is_default")]
        expect: SockExpect,
    },
    V6Only {
        socket: Ref,
        on: bool,
        #[serde(default, skip_serializing_if = "is_default")]
        expect: SockExpect,
    },
    Advance(Dur),
    AdvanceTo(Dur),
    Fault(Fault),
    FaultAt {
        at: Dur,
        fault: Fault,
    },
    Wait {
        overlapped: String,
        #[serde(default = "success", skip_serializing_if = "is_success")]
        status: Win32Error,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<Data>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within: Option<Dur>,
    },
    Assert(Check),
}

/// The JSON Schema of the steps that are not calls (`{"oneOf": [...]}`).
#[cfg(feature = "schema")]
pub(crate) fn other_steps_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    <StepRepr as schemars::JsonSchema>::json_schema(g)
}

fn success() -> Win32Error {
    Win32Error::ERROR_SUCCESS
}

fn is_success(e: &Win32Error) -> bool {
    *e == Win32Error::ERROR_SUCCESS
}

/// The keywords of the steps that are not calls, in file-format order.
const OTHER_STEPS: [&str; 11] = [
    "Socket",
    "Bind",
    "Connect",
    "CloseSocket",
    "V6Only",
    "Advance",
    "AdvanceTo",
    "Fault",
    "FaultAt",
    "Wait",
    "Assert",
];

/// Every step keyword: the 11 calls, then the others.
fn keywords() -> &'static [&'static str] {
    static ALL: OnceLock<Vec<&'static str>> = OnceLock::new();
    ALL.get_or_init(|| {
        Func::ALL
            .into_iter()
            .map(call_keyword)
            .chain(OTHER_STEPS)
            .collect()
    })
}

/// The fields of `func`'s step, the call's then the expectation's (for error messages), made
/// once per function.
fn all_fields(func: Func, call: &'static [&'static str]) -> &'static [&'static str] {
    static ALL: [OnceLock<Vec<&'static str>>; 11] = [const { OnceLock::new() }; 11];
    let expectation = Expectation::fields(func).iter().map(|f| f.name());
    let i = Func::ALL.iter().position(|f| *f == func).unwrap_or_default();
    ALL[i].get_or_init(|| call.iter().copied().chain(expectation).collect())
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Step, D::Error> {
        d.deserialize_enum("Step", keywords(), StepVisitor)
    }
}

struct StepVisitor;

impl<'de> Visitor<'de> for StepVisitor {
    type Value = Step;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("enum Step")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, a: A) -> Result<Step, A::Error> {
        let (keyword, variant) = a.variant_seed(Keyword)?;
        match Func::ALL.into_iter().find(|f| call_keyword(*f) == keyword) {
            Some(func) => call_step(func, keyword, variant).map(Step::Call),
            None => StepRepr::deserialize(EnumAccessDeserializer::new(Replay { keyword, variant })),
        }
    }
}

/// A step keyword, one of [`keywords`].
struct Keyword;

impl<'de> DeserializeSeed<'de> for Keyword {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for Keyword {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<&'static str, E> {
        let found = keywords().iter().find(|k| **k == s);
        found.copied().ok_or_else(|| E::unknown_variant(s, keywords()))
    }

    fn visit_u64<E: de::Error>(self, i: u64) -> Result<&'static str, E> {
        let found = usize::try_from(i).ok().and_then(|i| keywords().get(i));
        found
            .copied()
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(i), &"a step index"))
    }
}

/// An enum whose variant name was read already: gives the name, then the variant, to a derived
/// deserializer.
struct Replay<V> {
    keyword: &'static str,
    variant: V,
}

impl<'de, V: VariantAccess<'de>> EnumAccess<'de> for Replay<V> {
    type Error = V::Error;
    type Variant = V;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, V), V::Error> {
        let name = seed.deserialize(BorrowedStrDeserializer::new(self.keyword))?;
        Ok((name, self.variant))
    }
}

/// Reads the fields of `func`'s step: the call's through `Call`'s derived deserializer, the
/// expectation's here.
fn call_step<'de, V: VariantAccess<'de>>(
    func: Func,
    keyword: &'static str,
    variant: V,
) -> Result<CallStep, V::Error> {
    let mut expected = Reading {
        func,
        seen: Vec::new(),
        value: Expectation::default(),
    };
    let variant = CallVariant {
        variant,
        expected: &mut expected,
    };
    let call = Call::<Named>::deserialize(EnumAccessDeserializer::new(Replay { keyword, variant }))?;
    Ok(CallStep {
        call,
        expected: expected.value,
    })
}

/// An expectation being read.
struct Reading {
    func: Func,
    seen: Vec<ExpectField>,
    value: Expectation,
}

impl Reading {
    /// Reads the value of `field`, which must be its first occurrence.
    fn read<'de, M: MapAccess<'de>>(&mut self, field: ExpectField, map: &mut M) -> Result<(), M::Error> {
        if self.seen.contains(&field) {
            return Err(de::Error::duplicate_field(field.name()));
        }
        self.seen.push(field);
        let e = &mut self.value;
        match field {
            ExpectField::Expect => e.expect = map.next_value()?,
            ExpectField::Id => e.id = map.next_value()?,
            ExpectField::Data => e.data = map.next_value()?,
            ExpectField::Flows => e.flows = map.next_value()?,
            ExpectField::OutSize => e.out_size = map.next_value()?,
        }
        Ok(())
    }
}

/// The variant of a call step, as `Call`'s deserializer sees it: a newtype variant holding the
/// call's struct, read from the file's struct-like variant.
struct CallVariant<'a, V> {
    variant: V,
    expected: &'a mut Reading,
}

fn not_a_call<E: de::Error>() -> E {
    E::custom("a call step holds the call's fields")
}

impl<'de, V: VariantAccess<'de>> VariantAccess<'de> for CallVariant<'_, V> {
    type Error = V::Error;

    fn unit_variant(self) -> Result<(), V::Error> {
        Err(not_a_call())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, V::Error> {
        seed.deserialize(CallFields {
            variant: self.variant,
            expected: self.expected,
        })
    }

    fn tuple_variant<X: Visitor<'de>>(self, _: usize, _: X) -> Result<X::Value, V::Error> {
        Err(not_a_call())
    }

    fn struct_variant<X: Visitor<'de>>(self, _: &'static [&'static str], _: X) -> Result<X::Value, V::Error> {
        Err(not_a_call())
    }
}

/// The call's struct, read from the step's fields.
struct CallFields<'a, A> {
    variant: A,
    expected: &'a mut Reading,
}

impl<'de, A: VariantAccess<'de>> Deserializer<'de> for CallFields<'_, A> {
    type Error = A::Error;

    fn deserialize_struct<X: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: X,
    ) -> Result<X::Value, A::Error> {
        let split = Split {
            visitor,
            call: fields,
            expected: self.expected,
        };
        self.variant.struct_variant(fields, split)
    }

    fn deserialize_any<X: Visitor<'de>>(self, _: X) -> Result<X::Value, A::Error> {
        Err(not_a_call())
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// Visits the step's fields for the call's visitor, keeping the expectation's.
struct Split<'a, X> {
    visitor: X,
    call: &'static [&'static str],
    expected: &'a mut Reading,
}

impl<'de, X: Visitor<'de>> Visitor<'de> for Split<'_, X> {
    type Value = X::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<X::Value, M::Error> {
        self.visitor.visit_map(CallOnly {
            map,
            call: self.call,
            expected: self.expected,
        })
    }
}

/// The step's fields without the expectation's, which are read as they come.
struct CallOnly<'a, M> {
    map: M,
    call: &'static [&'static str],
    expected: &'a mut Reading,
}

impl<'de, M: MapAccess<'de>> MapAccess<'de> for CallOnly<'_, M> {
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, M::Error> {
        loop {
            let key = FieldOf {
                call: self.call,
                func: self.expected.func,
            };
            match self.map.next_key_seed(key)? {
                None => return Ok(None),
                Some(Field::Call(name)) => {
                    return seed.deserialize(BorrowedStrDeserializer::new(name)).map(Some)
                }
                Some(Field::Expectation(field)) => self.expected.read(field, &mut self.map)?,
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, M::Error> {
        self.map.next_value_seed(seed)
    }
}

/// A field of a call step.
enum Field {
    Call(&'static str),
    Expectation(ExpectField),
}

/// Reads a field name of `func`'s step, whose call has the fields `call`.
struct FieldOf {
    call: &'static [&'static str],
    func: Func,
}

impl<'de> DeserializeSeed<'de> for FieldOf {
    type Value = Field;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldOf {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field identifier")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Field, E> {
        if let Some(name) = self.call.iter().find(|n| **n == s) {
            return Ok(Field::Call(name));
        }
        let expectation = Expectation::fields(self.func).iter().find(|f| f.name() == s);
        expectation
            .map(|f| Field::Expectation(*f))
            .ok_or_else(|| E::unknown_field(s, all_fields(self.func, self.call)))
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Step::Call(c) => c.call.serialize(CallStepSer {
                s,
                func: c.call.func(),
                expected: &c.expected,
            }),
            other => StepRepr::serialize(other, s),
        }
    }
}

/// Writes a call step as one struct-like variant: `Call`'s derived code writes the call's
/// fields into it, then the expectation's that its step has are added. Fields at their
/// defaults are left out.
struct CallStepSer<'a, S> {
    s: S,
    func: Func,
    expected: &'a Expectation,
}

fn not_a_call_struct<E: ser::Error>() -> E {
    E::custom("a call step writes a call's struct")
}

macro_rules! not_a_call_struct {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, S::Error> {
            Err(not_a_call_struct())
        })*
    };
}

impl<'a, S: Serializer> Serializer for CallStepSer<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = CallStepFields<'a, S::SerializeStructVariant>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    /// `Call::QueryFlow(QueryFlow { … })`.
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        call: &T,
    ) -> Result<S::Ok, S::Error> {
        call.serialize(self)
    }

    /// `QueryFlow { … }`, with `len` fields not at their defaults.
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Self::SerializeStruct, S::Error> {
        let (func, expected) = (self.func, self.expected);
        let index = Func::ALL.iter().position(|f| *f == func).unwrap_or_default() as u32;
        let len = len + expected.written(func).count();
        let variant = self
            .s
            .serialize_struct_variant("Step", index, call_keyword(func), len)?;
        Ok(CallStepFields {
            variant,
            func,
            expected,
        })
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(not_a_call_struct())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(not_a_call_struct())
    }

    not_a_call_struct! {
        serialize_bool(bool) -> S::Ok;
        serialize_i8(i8) -> S::Ok;
        serialize_i16(i16) -> S::Ok;
        serialize_i32(i32) -> S::Ok;
        serialize_i64(i64) -> S::Ok;
        serialize_u8(u8) -> S::Ok;
        serialize_u16(u16) -> S::Ok;
        serialize_u32(u32) -> S::Ok;
        serialize_u64(u64) -> S::Ok;
        serialize_f32(f32) -> S::Ok;
        serialize_f64(f64) -> S::Ok;
        serialize_char(char) -> S::Ok;
        serialize_str(&str) -> S::Ok;
        serialize_bytes(&[u8]) -> S::Ok;
        serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok;
        serialize_unit_struct(&'static str) -> S::Ok;
        serialize_unit_variant(&'static str, u32, &'static str) -> S::Ok;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

/// The call's fields going into the step's variant; the expectation's follow at the end.
struct CallStepFields<'a, V> {
    variant: V,
    func: Func,
    expected: &'a Expectation,
}

impl<V: SerializeStructVariant> SerializeStruct for CallStepFields<'_, V> {
    type Ok = V::Ok;
    type Error = V::Error;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), V::Error> {
        self.variant.serialize_field(key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), V::Error> {
        self.variant.skip_field(key)
    }

    fn end(mut self) -> Result<V::Ok, V::Error> {
        let e = self.expected;
        for &field in Expectation::fields(self.func) {
            let v = &mut self.variant;
            let key = field.name();
            match field {
                _ if !e.is_written(field) => v.skip_field(key)?,
                ExpectField::Expect => v.serialize_field(key, &e.expect)?,
                ExpectField::Id => v.serialize_field(key, &e.id)?,
                ExpectField::Data => v.serialize_field(key, &e.data)?,
                ExpectField::Flows => v.serialize_field(key, &e.flows)?,
                ExpectField::OutSize => v.serialize_field(key, &e.out_size)?,
            }
        }
        self.variant.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_the_calls_then_the_other_steps_each_once() {
        let all = keywords();
        assert_eq!(all.len(), 22);
        assert_eq!(all[..11], Func::ALL.map(call_keyword));
        for (i, k) in all.iter().enumerate() {
            assert!(!all[..i].contains(k), "{k} twice");
        }
    }

    #[test]
    fn every_step_kind_reads_back_what_it_writes() {
        let text = r#"[
            CreateHandle(handle: "h"), CloseHandle(handle: "h", expect: Err(ERROR_INVALID_HANDLE)),
            Socket(socket: "s", family: V4, protocol: Udp), Bind(socket: "s", addr: None),
            Connect(socket: "s", addr: "192.168.1.20:5"), V6Only(socket: "s", on: true),
            AddSocketToFlow(handle: "h", socket: "s", flow: New("f"), id: 1),
            RemoveSocketFromFlow(handle: "h", socket: "s", flow: "f"),
            SetFlow(handle: "h", flow: "f", op: OutgoingDscp(46), overlapped: "o"),
            QueryFlow(handle: "h", flow: "f", op: OutgoingRate, data: OutgoingRate(1), out_size: 8),
            NotifyFlow(handle: "h", flow: "f", op: Available(5), size: Null),
            Cancel(handle: "h", overlapped: "o"), EnumerateFlows(handle: "h", flows: ["f"], out_size: 4),
            StartTrackingClient(handle: "h", client: "192.168.1.20:0"), StopTrackingClient(handle: "h"),
            CloseSocket(socket: "s"), Advance("1s"), AdvanceTo("2s"), Fault(DeviceReset),
            FaultAt(at: "3s", fault: Sleep), Wait(overlapped: "o", within: "1s"), Assert(FlowCount(0)),
        ]"#;
        let opts = crate::scenario::load::options();
        let steps: Vec<Step> = opts.from_str(text).expect("parses");
        let kinds: Vec<&str> = steps.iter().map(Step::keyword).collect();
        for k in keywords() {
            assert!(kinds.contains(k), "{k} not tried");
        }
        let written = opts.to_string(&steps).expect("writes");
        assert_eq!(opts.from_str::<Vec<Step>>(&written).expect("reads back"), steps);
    }

    #[test]
    fn an_expectation_field_the_call_does_not_have_is_not_written() {
        let mut step: Step = crate::scenario::load::options()
            .from_str(r#"QueryFlow(handle: "h", flow: "f", op: Fundamentals)"#)
            .expect("parses");
        if let Step::Call(c) = &mut step {
            c.expected.id = Some(3);
            c.expected.out_size = Some(40);
        }
        let written = crate::scenario::load::options().to_string(&step).expect("writes");
        assert_eq!(
            written,
            r#"QueryFlow(handle:"h",flow:"f",op:Fundamentals,out_size:40)"#
        );
    }
}
