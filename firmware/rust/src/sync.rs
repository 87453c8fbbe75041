//! A waker-based primitive for code outside the runtime's own waits: [`Signal`], a
//! one-waiter event. Its `wait` stores the task's [`Waker`]; `signal` calls
//! `Waker::wake` (hw: one store of the task word to ENQUEUE, through the waker's vtable).

use core::future::{poll_fn, Future};
use core::task::{Poll, Waker};

use crate::{Global, Volatile};

/// A one-waiter event between tasks (not for the trap handler): `wait().await` returns
/// once `signal()` has been called since the last `wait` returned (signals do not count
/// up: several before a wait are one).
pub struct Signal {
    waker: Global<Option<Waker>>,
    set: Volatile<bool>,
}

impl Signal {
    pub const fn new() -> Self {
        Signal { waker: Global::new(None), set: Volatile::new(false) }
    }

    /// Set the event; wake the waiting task, if any.
    pub fn signal(&self) {
        self.set.set(true);
        if let Some(w) = unsafe { (*self.waker.as_ptr()).take() } {
            w.wake();
        }
    }

    /// Wait for the event (and clear it).
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            if self.set.get() {
                self.set.set(false);
                return Poll::Ready(());
            }
            let slot = unsafe { &mut *self.waker.as_ptr() };
            match slot {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *slot = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
    }
}

impl Default for Signal {
    fn default() -> Self {
        Self::new()
    }
}
