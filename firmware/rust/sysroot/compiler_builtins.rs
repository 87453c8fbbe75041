//! A minimal `compiler_builtins` for the firmware (built by
//! `hdl/atsintc/tools/rust_build.py` next to `core`): the memory functions `core` calls.
//! RV32IM multiplies and divides 32-bit numbers in hardware; 64-bit division
//! (`__udivdi3` ...) is not provided, so the firmware must not divide u64/i64 values
//! (a link error says so if it does).
//!
//! `#![compiler_builtins]` makes rustc compile this crate without LLVM's idiom
//! recognition, so the loops below do not turn into calls to themselves.
#![feature(compiler_builtins)]
#![compiler_builtins]
#![no_std]
#![allow(internal_features)]

/// # Safety
/// As C's memcpy.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    unsafe {
        if (dest as usize | src as usize | n) & 3 == 0 {
            let mut i = 0;
            while i < n {
                *(dest.add(i) as *mut u32) = *(src.add(i) as *const u32);
                i += 4;
            }
        } else {
            let mut i = 0;
            while i < n {
                *dest.add(i) = *src.add(i);
                i += 1;
            }
        }
    }
    dest
}

/// # Safety
/// As C's memmove.
#[no_mangle]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    unsafe {
        if (dest as usize) <= (src as usize) || (dest as usize) >= (src as usize) + n {
            let mut i = 0;
            while i < n {
                *dest.add(i) = *src.add(i);
                i += 1;
            }
        } else {
            let mut i = n;
            while i > 0 {
                i -= 1;
                *dest.add(i) = *src.add(i);
            }
        }
    }
    dest
}

/// # Safety
/// As C's memset.
#[no_mangle]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    unsafe {
        if (dest as usize | n) & 3 == 0 {
            let w = (c as u8 as u32) * 0x0101_0101;
            let mut i = 0;
            while i < n {
                *(dest.add(i) as *mut u32) = w;
                i += 4;
            }
        } else {
            let mut i = 0;
            while i < n {
                *dest.add(i) = c as u8;
                i += 1;
            }
        }
    }
    dest
}

/// # Safety
/// As C's memcmp.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return x as i32 - y as i32;
        }
        i += 1;
    }
    0
}

/// # Safety
/// As C's bcmp.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    unsafe { memcmp(a, b, n) }
}
