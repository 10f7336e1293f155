//! Rules tests (see RULES.md).
#[allow(unused_imports)]
use crate::common::*;
