//! Task control blocks, `spawn`, and the poll glue the dispatcher calls.

use core::cell::UnsafeCell;
use core::future::Future;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::pin::Pin;
use core::task::{Context, Waker};

use crate::backend;
use crate::regs;

/// What a task is (informational: the runtime schedules them all alike).
#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CType {
    /// An ordinary task.
    Task = 0,
    /// A task that serves a device (waits with `wait_irq`).
    Irq = 1,
    /// An IPC server / handler (waits with `listen`).
    Ipc = 2,
    /// A kernel service (system calls as IPC to process 0).
    Kernel = 3,
}

/// The poll function of a task: the dispatcher calls `(h.poll)(h, w)`, `w` the task word
/// as dequeued (hw: bit 0 = the last timed wait ended by its deadline), which becomes the
/// waker's data (hw; sw: the control block's word).
pub(crate) type PollFn = unsafe extern "C" fn(*const Header, u32);

pub(crate) const IDLE: u8 = 0;
pub(crate) const LIVE: u8 = 1;
pub(crate) const DONE: u8 = 2;

/// Flags: the last timed wait ended by its deadline.
pub(crate) const FLAG_TIMEOUT: u8 = 1;
/// sw: the task waits for a device (TIMED_IRQ) or a message (TIMED_MSG) with a deadline,
/// the vector or channel in bits 7..3 (as the C runtime's RT_FLAG_TIMED_*).
#[cfg_attr(backend = "hw", allow(dead_code))]
pub(crate) const FLAG_TIMED_IRQ: u8 = 2;
#[cfg_attr(backend = "hw", allow(dead_code))]
pub(crate) const FLAG_TIMED_MSG: u8 = 4;

/// The control block's fixed part. `#[repr(C)]`, 32 bytes, at the start of a 16-byte
/// aligned [`Task`]: its address | priority << 1 is the task word, and the poll function
/// is its first word (the dispatcher: load the word, mask, load the function, call).
#[repr(C)]
pub struct Header {
    pub(crate) poll: PollFn,        // 0
    pub(crate) word: u32,           // 4: task word (address | prio << 1)
    pub(crate) win: usize,          // 8: hw: the ATS-INTC window of the task's process
    pub(crate) next: *const Header, // 12: sw: ready-queue / timer-list link
    pub(crate) cid: u16,            // 16: coroutine id
    pub(crate) ctype: CType,        // 18
    pub(crate) prio: u8,            // 19: 0 is the highest
    pub(crate) proc_: u8,           // 20: process slot (hw: its window)
    pub(crate) state: u8,           // 21: IDLE, LIVE, DONE
    pub(crate) flags: u8,           // 22: FLAG_TIMEOUT (sw: and FLAG_TIMED_*)
    pub(crate) _pad: u8,
    pub(crate) dl_lo: u32,          // 24: sw: deadline while sleeping
    pub(crate) dl_hi: u32,          // 28
}

const HDR: usize = core::mem::size_of::<Header>();
const _: () = assert!(HDR == 32 && HDR % regs::TCB_ALIGN == 0);
const _: () = assert!(regs::TCB_ALIGN == 16, "Task is #[repr(align(16))]");

unsafe extern "C" fn no_poll(_: *const Header, _: u32) {}

/// A statically allocated task: control block and `N` bytes for its future.
///
/// ```ignore
/// static SERVER: Task<64> = Task::new(1, CType::Ipc);
/// spawn(&SERVER, 1, 2, async { loop { listen(1).await; /* ... */ } });
/// ```
#[repr(C, align(16))]
pub struct Task<const N: usize> {
    hdr: UnsafeCell<Header>,
    fut: UnsafeCell<MaybeUninit<[u8; N]>>,
}

// Safety: one hart; the control block is changed by spawn (not while the task is live)
// and by its own poll.
unsafe impl<const N: usize> Sync for Task<N> {}

impl<const N: usize> Task<N> {
    /// A free control block with coroutine id `cid` and type `ctype`.
    pub const fn new(cid: u16, ctype: CType) -> Self {
        Task {
            hdr: UnsafeCell::new(Header {
                poll: no_poll,
                word: 0,
                win: 0,
                next: core::ptr::null(),
                cid,
                ctype,
                prio: 0,
                proc_: 0,
                state: IDLE,
                flags: 0,
                _pad: 0,
                dl_lo: 0,
                dl_hi: 0,
            }),
            fut: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    pub fn as_ref(&'static self) -> TaskRef {
        TaskRef(self.hdr.get())
    }

    /// The task word (0 before the first spawn).
    pub fn word(&self) -> u32 {
        unsafe { (*self.hdr.get()).word }
    }

    /// The task's future has completed.
    pub fn is_done(&self) -> bool {
        unsafe { (*self.hdr.get()).state == DONE }
    }

    /// Set the task word for priority `prio` without spawning (for the raw queue
    /// operations of [`crate::raw`]).
    pub fn set_prio(&'static self, prio: u8) {
        let h = self.hdr.get();
        unsafe {
            (*h).prio = prio;
            (*h).word = regs::task(h as usize, prio as u32);
        }
    }
}

/// A handle to a task (its control block).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TaskRef(pub(crate) *const Header);

impl TaskRef {
    /// The task of a task word (0: none).
    #[inline(always)]
    pub fn from_word(w: u32) -> Option<TaskRef> {
        let p = regs::task_tcb(w) as *const Header;
        if p.is_null() { None } else { Some(TaskRef(p)) }
    }

    #[inline(always)]
    pub(crate) fn from_word_unchecked(w: u32) -> TaskRef {
        TaskRef(regs::task_tcb(w) as *const Header)
    }

    pub fn cid(self) -> u16 {
        unsafe { (*self.0).cid }
    }

    pub fn ctype(self) -> CType {
        unsafe { (*self.0).ctype }
    }

    pub fn prio(self) -> u8 {
        unsafe { (*self.0).prio }
    }

    pub fn proc_(self) -> u8 {
        unsafe { (*self.0).proc_ }
    }

    pub fn word(self) -> u32 {
        unsafe { (*self.0).word }
    }

    pub fn is_done(self) -> bool {
        unsafe { (*self.0).state == DONE }
    }

    /// The last timed wait of the task ended by its deadline.
    pub fn timed_out(self) -> bool {
        unsafe { (*self.0).flags & FLAG_TIMEOUT != 0 }
    }

    pub fn as_ptr(self) -> *const () {
        self.0 as *const ()
    }

    /// Send message `msg` (not 0) to process `to`'s IPC channel `chan`, from this task's
    /// process (hw: SEND through its window, which the controller checks against the
    /// capabilities; sw: into the software mailbox, waking the handler waiting there).
    #[inline(always)]
    pub fn send(self, to: usize, chan: usize, msg: u32) {
        unsafe { backend::send_word((*self.0).word, to, chan, msg) }
    }

    /// Take the oldest message of this task's process's channel `chan`, 0 if none.
    #[inline(always)]
    pub fn try_recv(self, chan: usize) -> u32 {
        unsafe { backend::try_recv_word((*self.0).word, chan) }
    }

    /// Make the task ready (hw: one store of its word to ENQUEUE of its window). Only for
    /// a task suspended without a wait of its own ([`crate::park`]) or cancelled: a task
    /// must not be in the ready queue twice.
    #[inline(always)]
    pub fn wake(self) {
        unsafe { backend::wake_word((*self.0).word) }
    }

    /// Cancel the task's sleep or timed wait ([`crate::sleep_until`],
    /// [`crate::wait_irq_until`], [`crate::recv_until`]): true if it was waiting (it will
    /// not run until woken otherwise, e.g. by [`TaskRef::wake`], whereupon its wait ends:
    /// a sleep returns, a timed device wait returns `Ok`), false if not (its deadline had
    /// passed: it is ready, or has run).
    /// hw: CANCEL through the task's window, then TIMER_STATUS.CANCELLED.
    #[inline(always)]
    pub fn cancel(self) -> bool {
        unsafe { backend::cancel_word((*self.0).word) }
    }
}

/// Start `fut` as task `t` with priority `prio` (0 is the highest) in process slot
/// `proc_` (0..PROCS; hw: its ATS-INTC window; processes other than 0 run once
/// [`crate::use_processes`] enables them). The task is made ready (its waker is woken).
///
/// The future must fit in the task's storage (checked at compile time). Panics if the
/// task is still live (spawned and not finished).
pub fn spawn<F, const N: usize>(t: &'static Task<N>, prio: u8, proc_: u8, fut: F)
where
    F: Future<Output = ()> + 'static,
{
    const {
        assert!(core::mem::size_of::<F>() <= N, "the future does not fit in Task<N>");
        assert!(core::mem::align_of::<F>() <= regs::TCB_ALIGN, "future alignment > 16");
    }
    assert!((prio as usize) < crate::PRIOS && (proc_ as usize) < crate::PROCS);
    let h = t.hdr.get();
    unsafe {
        if (*h).state == LIVE {
            panic!("spawn: task is live");
        }
        core::ptr::write(t.fut.get() as *mut F, fut);
        (*h).poll = poll_task::<F>;
        (*h).prio = prio;
        (*h).proc_ = proc_;
        (*h).flags = 0;
        (*h).next = core::ptr::null();
        (*h).word = regs::task(h as usize, prio as u32);
        (*h).win = backend::window(proc_ as usize);
        (*h).state = LIVE;
        backend::wake_word((*h).word);
    }
}

/// Poll the future of the task at `h` once with its waker (data: the task word `w` as
/// dequeued, hw: with the controller's bit 0, which the timed waits read, so the
/// dispatcher needs no test for it and the word is not loaded from the control block;
/// sw: the control block's word. vtable: the backend's, per process). Aligned to the
/// I-cache line (32 bytes): the entry and the resume path's first instructions share one
/// line, so a task woken for the first time does not miss the cache before its first
/// instruction after the wait.
#[repr(align(32))]
unsafe extern "C" fn poll_task<F: Future<Output = ()>>(h: *const Header, w: u32) {
    let h = h as *mut Header;
    unsafe {
        let waker = ManuallyDrop::new(Waker::new(backend::waker_data(h, w),
                                                 backend::vtable((*h).proc_)));
        let mut cx = Context::from_waker(&waker);
        let f = (h as *mut u8).add(HDR) as *mut F;
        if Pin::new_unchecked(&mut *f).poll(&mut cx).is_ready() {
            core::ptr::drop_in_place(f);
            (*h).state = DONE;
            return;
        }
        // Suspended: switch straight to the next ready task (a tail call, so the stack
        // does not grow), or return to the dispatcher when none is ready.
        let (n, nw) = backend::next();
        if !n.is_null() {
            ((*n).poll)(n, nw)
        }
    }
}
