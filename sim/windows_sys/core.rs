//! `windows_sys::core`: the plain type aliases.

/// A Win32 `BOOL`: nonzero = TRUE.
pub type BOOL = i32;
/// A COM result code.
pub type HRESULT = i32;
/// A mutable narrow string pointer.
pub type PSTR = *mut u8;
/// A mutable wide string pointer.
pub type PWSTR = *mut u16;
/// A constant narrow string pointer.
pub type PCSTR = *const u8;
/// A constant wide string pointer.
pub type PCWSTR = *const u16;
