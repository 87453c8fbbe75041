//! Interior mutability for the runtime's statics (one hart; the sw backend guards what
//! the trap handler touches by turning interrupts off).

use core::cell::UnsafeCell;

/// A mutable static, accessed with plain loads and stores.
#[repr(transparent)]
pub struct Global<T>(UnsafeCell<T>);

// Safety: one hart; accesses that race with the trap handler are made with interrupts
// off (sw backend).
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    pub const fn new(v: T) -> Self {
        Global(UnsafeCell::new(v))
    }

    #[inline(always)]
    pub fn as_ptr(&self) -> *mut T {
        self.0.get()
    }
}

impl<T: Copy> Global<T> {
    #[inline(always)]
    pub fn get(&self) -> T {
        unsafe { *self.0.get() }
    }

    #[inline(always)]
    pub fn set(&self, v: T) {
        unsafe { *self.0.get() = v }
    }
}

/// A mutable static, accessed with volatile loads and stores (flags another context
/// sets, e.g. [`crate::STOP`]).
#[repr(transparent)]
pub struct Volatile<T>(UnsafeCell<T>);

unsafe impl<T> Sync for Volatile<T> {}

impl<T: Copy> Volatile<T> {
    pub const fn new(v: T) -> Self {
        Volatile(UnsafeCell::new(v))
    }

    #[inline(always)]
    pub fn get(&self) -> T {
        unsafe { core::ptr::read_volatile(self.0.get()) }
    }

    #[inline(always)]
    pub fn set(&self, v: T) {
        unsafe { core::ptr::write_volatile(self.0.get(), v) }
    }
}
