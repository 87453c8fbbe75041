//! Build-time constants of a program, the counterpart of the C programs' `-DNAME=value`
//! (`#ifndef NAME / #define NAME default`): `rust_build.build_rust_firmware(...,
//! consts={"NAME": value})` passes `ATSRT_CONST_NAME=value` to rustc, and
//!
//! ```ignore
//! atsrt::build_const!(CLASS_EVENTS: usize = 1000);
//! atsrt::build_list!(CLASS_LOADS = [10, 20, 30]);
//! ```
//!
//! define `const CLASS_EVENTS: usize` (a decimal number) and `const CLASS_LOADS: [u32; N]`
//! (decimal numbers separated by commas, N from the value) from it, or the default when
//! the build gives none. The values are parsed at compile time (a malformed one is a
//! compile error).

/// The decimal number `s`, or `default` if `s` is `None`.
pub const fn uint(s: Option<&str>, default: u32) -> u32 {
    match s {
        None => default,
        Some(s) => {
            let b = s.as_bytes();
            let (v, end) = number(b, 0);
            if end != b.len() {
                panic!("atsrt::build_const!: the value is not a decimal number");
            }
            v
        }
    }
}

/// Parse a decimal number at `b[i..]`: (value, index after it).
const fn number(b: &[u8], mut i: usize) -> (u32, usize) {
    let start = i;
    let mut v: u32 = 0;
    while i < b.len() && b[i] >= b'0' && b[i] <= b'9' {
        v = match v.checked_mul(10) {
            Some(x) => match x.checked_add((b[i] - b'0') as u32) {
                Some(y) => y,
                None => panic!("atsrt::build: number too large for u32"),
            },
            None => panic!("atsrt::build: number too large for u32"),
        };
        i += 1;
    }
    if i == start {
        panic!("atsrt::build: a decimal number expected");
    }
    (v, i)
}

/// The length of the list `s` (numbers separated by commas), or of `default`.
pub const fn list_len(s: Option<&str>, default: &[u32]) -> usize {
    match s {
        None => default.len(),
        Some(s) => {
            let b = s.as_bytes();
            let mut n = 1;
            let mut i = 0;
            while i < b.len() {
                if b[i] == b',' {
                    n += 1;
                }
                i += 1;
            }
            n
        }
    }
}

/// The list `s` (numbers separated by commas), or `default`; `N` = [`list_len`].
pub const fn list<const N: usize>(s: Option<&str>, default: &[u32]) -> [u32; N] {
    let mut out = [0u32; N];
    match s {
        None => {
            let mut k = 0;
            while k < N {
                out[k] = default[k];
                k += 1;
            }
        }
        Some(s) => {
            let b = s.as_bytes();
            let mut i = 0;
            let mut k = 0;
            while k < N {
                let (v, end) = number(b, i);
                out[k] = v;
                k += 1;
                if k < N {
                    if end >= b.len() || b[end] != b',' {
                        panic!("atsrt::build_list!: numbers separated by commas expected");
                    }
                    i = end + 1;
                } else if end != b.len() {
                    panic!("atsrt::build_list!: numbers separated by commas expected");
                }
            }
        }
    }
    out
}

/// `build_const!(NAME: type = default)`: `const NAME: type` from the build's
/// `ATSRT_CONST_NAME` (a decimal number), else `default`.
#[macro_export]
macro_rules! build_const {
    ($(#[$m:meta])* $vis:vis $name:ident : $t:ty = $default:expr) => {
        $(#[$m])*
        $vis const $name: $t = $crate::build::uint(
            ::core::option_env!(::core::concat!("ATSRT_CONST_", ::core::stringify!($name))),
            $default as u32) as $t;
    };
}

/// `build_list!(NAME = [a, b, ...])`: `const NAME: [u32; N]` from the build's
/// `ATSRT_CONST_NAME` (decimal numbers separated by commas), else the default list.
#[macro_export]
macro_rules! build_list {
    ($(#[$m:meta])* $vis:vis $name:ident = [$($d:expr),* $(,)?]) => {
        $(#[$m])*
        $vis const $name: [u32; $crate::build::list_len(
            ::core::option_env!(::core::concat!("ATSRT_CONST_", ::core::stringify!($name))),
            &[$($d),*])] = $crate::build::list(
            ::core::option_env!(::core::concat!("ATSRT_CONST_", ::core::stringify!($name))),
            &[$($d),*]);
    };
}
