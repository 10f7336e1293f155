//! `windows::core` (windows-result 0.4.1 / windows-core 0.62.2): [`BOOL`], [`HRESULT`],
//! [`Error`], [`Result`], [`PCWSTR`] and [`Param`].
//!
//! Same shapes and method names as the real crate. The one deliberate difference:
//! [`BOOL::ok`], [`Error::from_thread`] and [`HRESULT::from_thread`] read the *simulated*
//! thread last error (the one `QOS*` failures set) instead of panicking as windows-result does
//! on Linux.

use std::fmt;

use crate::model::Win32Error;

/// A Win32 `BOOL` (`i32`; nonzero = TRUE), as returned by every `QOS*` function.
#[must_use]
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BOOL(pub i32);

impl BOOL {
    /// `self.0 != 0`.
    #[inline]
    pub fn as_bool(self) -> bool {
        self.0 != 0
    }

    /// `Ok(())` when TRUE; otherwise the simulated thread last error as an [`Error`]
    /// (`HRESULT::from_win32(GetLastError())`).
    ///
    /// ```
    /// use qwave_sim::windows::core::{BOOL, HRESULT};
    /// use qwave_sim::windows::Win32::Foundation::{SetLastError, ERROR_NOT_FOUND};
    /// assert!(BOOL(1).ok().is_ok());
    /// unsafe { SetLastError(ERROR_NOT_FOUND) };
    /// assert_eq!(BOOL(0).ok().unwrap_err().code(), HRESULT::from_win32(1168));
    /// ```
    #[inline]
    pub fn ok(self) -> Result<()> {
        if self.as_bool() {
            Ok(())
        } else {
            Err(Error::from_thread())
        }
    }

    /// Panics with the thread's last error when FALSE.
    #[inline]
    #[track_caller]
    pub fn unwrap(self) {
        self.ok().unwrap();
    }

    /// Panics with `msg` and the thread's last error when FALSE.
    #[inline]
    #[track_caller]
    pub fn expect(self, msg: &str) {
        self.ok().expect(msg);
    }
}

impl From<BOOL> for bool {
    fn from(value: BOOL) -> Self {
        value.as_bool()
    }
}

impl From<&BOOL> for bool {
    fn from(value: &BOOL) -> Self {
        value.as_bool()
    }
}

impl From<bool> for BOOL {
    fn from(value: bool) -> Self {
        BOOL(value as i32)
    }
}

impl From<&bool> for BOOL {
    fn from(value: &bool) -> Self {
        (*value).into()
    }
}

impl PartialEq<bool> for BOOL {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == *other
    }
}

impl PartialEq<BOOL> for bool {
    fn eq(&self, other: &BOOL) -> bool {
        *self == other.as_bool()
    }
}

impl std::ops::Not for BOOL {
    type Output = Self;
    fn not(self) -> Self::Output {
        BOOL((!self.as_bool()) as i32)
    }
}

/// A COM/Win32 `HRESULT`. Negative = failure.
#[repr(transparent)]
#[derive(Copy, Clone, Default, Eq, PartialEq, Ord, PartialOrd, Hash)]
#[must_use]
pub struct HRESULT(pub i32);

impl HRESULT {
    /// `self.0 >= 0`.
    #[inline]
    pub const fn is_ok(self) -> bool {
        self.0 >= 0
    }

    /// `self.0 < 0`.
    #[inline]
    pub const fn is_err(self) -> bool {
        !self.is_ok()
    }

    /// Panics if this is a failure code.
    #[inline]
    #[track_caller]
    pub fn unwrap(self) {
        self.ok().unwrap();
    }

    /// `Ok(())` or the code as an [`Error`].
    #[inline]
    pub fn ok(self) -> Result<()> {
        if self.is_ok() {
            Ok(())
        } else {
            Err(self.into())
        }
    }

    /// `op()` on success, else the code as an [`Error`].
    #[inline]
    pub fn map<F, T>(self, op: F) -> Result<T>
    where
        F: FnOnce() -> T,
    {
        self.ok()?;
        Ok(op())
    }

    /// `op()` on success, else the code as an [`Error`].
    #[inline]
    pub fn and_then<F, T>(self, op: F) -> Result<T>
    where
        F: FnOnce() -> Result<T>,
    {
        self.ok()?;
        op()
    }

    /// A description: the Win32 name when this wraps a Win32 code the sim knows
    /// (`ERROR_NOT_FOUND`), else the hex value (what windows-result prints off Windows).
    pub fn message(self) -> String {
        let v = self.0 as u32;
        if (v >> 16) & 0x7FF == 7 {
            if let Some(n) = Win32Error(v & 0xFFFF).name() {
                return n.to_string();
            }
        }
        format!("{:#010x}", v)
    }

    /// `HRESULT::from_win32` of the simulated thread last error.
    pub fn from_thread() -> Self {
        Self::from_win32(crate::surface::last_error())
    }

    /// Maps a Win32 error code to an `HRESULT` (`0x8007xxxx`; 0 and negative values unchanged).
    #[inline]
    pub const fn from_win32(error: u32) -> Self {
        Self(if error as i32 <= 0 {
            error
        } else {
            (error & 0x0000_FFFF) | (7 << 16) | 0x8000_0000
        } as i32)
    }

    /// Maps an `NTSTATUS` to an `HRESULT` (sets the facility bit).
    #[inline]
    pub const fn from_nt(error: i32) -> Self {
        Self(if error >= 0 { error } else { error | 0x1000_0000 })
    }
}

impl<T> From<Result<T>> for HRESULT {
    fn from(result: Result<T>) -> Self {
        match result {
            Ok(_) => HRESULT(0),
            Err(e) => e.code(),
        }
    }
}

impl fmt::Display for HRESULT {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_fmt(format_args!("{:#010X}", self.0))
    }
}

impl fmt::Debug for HRESULT {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_fmt(format_args!("HRESULT({})", self))
    }
}

/// An error: an [`HRESULT`] and an optional message. Compared, ordered and hashed by code.
#[derive(Clone)]
pub struct Error {
    code: HRESULT,
    message: Option<String>,
}

/// `core::result::Result<T, Error>`.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// The empty error (code 0).
    pub const fn empty() -> Self {
        Error {
            code: HRESULT(0),
            message: None,
        }
    }

    /// An error with a code and a message.
    pub fn new<T: AsRef<str>>(code: HRESULT, message: T) -> Self {
        Error {
            code,
            message: Some(message.as_ref().to_string()),
        }
    }

    /// An error with just a code.
    pub fn from_hresult(code: HRESULT) -> Self {
        Error { code, message: None }
    }

    /// The simulated thread last error as an `Error`.
    pub fn from_thread() -> Self {
        Self::from_hresult(HRESULT::from_thread())
    }

    /// The code.
    pub const fn code(&self) -> HRESULT {
        self.code
    }

    /// The message given to [`Error::new`], else [`HRESULT::message`].
    pub fn message(&self) -> String {
        match &self.message {
            Some(m) => m.clone(),
            None => self.code.message(),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for HRESULT {
    fn from(error: Error) -> Self {
        error.code
    }
}

impl From<HRESULT> for Error {
    fn from(code: HRESULT) -> Self {
        Self::from_hresult(code)
    }
}

/// `std::io::Error::from_raw_os_error(code)`, as windows-result does.
impl From<Error> for std::io::Error {
    fn from(from: Error) -> Self {
        Self::from_raw_os_error(from.code.0)
    }
}

/// The raw OS error mapped with `HRESULT::from_win32`, or `E_UNEXPECTED` (0x8000FFFF).
impl From<std::io::Error> for Error {
    fn from(from: std::io::Error) -> Self {
        match from.raw_os_error() {
            Some(status) => HRESULT::from_win32(status as u32).into(),
            None => HRESULT(0x8000_FFFF_u32 as i32).into(),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code)
            .field("message", &self.message())
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message();
        if message.is_empty() {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{} ({})", message, self.code)
        }
    }
}

impl std::hash::Hash for Error {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.code.hash(state);
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code
    }
}

impl Eq for Error {}

impl PartialOrd for Error {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Error {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.code.cmp(&other.code)
    }
}

/// A pointer to a constant NUL-terminated UTF-16 string (`LPCWSTR`).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PCWSTR(pub *const u16);

impl PCWSTR {
    /// Wraps a raw pointer.
    pub const fn from_raw(ptr: *const u16) -> Self {
        Self(ptr)
    }

    /// The NULL string.
    pub const fn null() -> Self {
        Self(std::ptr::null())
    }

    /// The raw pointer.
    pub const fn as_ptr(&self) -> *const u16 {
        self.0
    }

    /// Whether the pointer is NULL.
    pub fn is_null(&self) -> bool {
        self.0.is_null()
    }
}

impl Default for PCWSTR {
    fn default() -> Self {
        Self::null()
    }
}

/// A pointer to a NUL-terminated 8-bit string (`LPSTR`).
#[repr(transparent)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PSTR(pub *mut u8);

impl PSTR {
    /// Wraps a raw pointer.
    pub const fn from_raw(ptr: *mut u8) -> Self {
        Self(ptr)
    }

    /// The NULL string.
    pub const fn null() -> Self {
        Self(std::ptr::null_mut())
    }

    /// The raw pointer.
    pub const fn as_ptr(&self) -> *mut u8 {
        self.0
    }

    /// Whether the pointer is NULL.
    pub fn is_null(&self) -> bool {
        self.0.is_null()
    }
}

impl Default for PSTR {
    fn default() -> Self {
        Self::null()
    }
}

/// Implicit parameter conversion, as in windows-core: a `PCWSTR` parameter accepts a
/// [`PCWSTR`] or `None`/`Some(&PCWSTR)`.
pub trait Param<T>: Sized {
    /// The value passed on.
    #[doc(hidden)]
    fn param(self) -> T;
}

impl Param<PCWSTR> for PCWSTR {
    fn param(self) -> PCWSTR {
        self
    }
}

impl Param<PCWSTR> for Option<&PCWSTR> {
    fn param(self) -> PCWSTR {
        self.copied().unwrap_or_default()
    }
}
