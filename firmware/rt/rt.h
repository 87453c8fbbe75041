/* A small async runtime of stackless coroutines, built against one of three
 * scheduler/interrupt backends chosen at compile time:
 *
 *   -DBACKEND_HW    ATS-INTC: wake = one store to ENQUEUE, scheduler = one load from
 *                   DEQUEUE_WAIT, device wait = store to BLOCK[v] (the controller makes
 *                   the task ready when the interrupt fires, no trap), IPC and system
 *                   calls through HANDLER / SEND / RECV (process windows 0, 1, 2).
 *   -DBACKEND_SW    software: O(1) ready queue (priority bitmap + FIFO list per
 *                   priority), PLIC claim/complete trap handler that wakes the task
 *                   blocked on the source, IPC as a function call into software
 *                   mailboxes.
 *   -DBACKEND_POLL  the software ready queue, devices polled (InterruptSource LINES)
 *                   in the dispatch loop; no interrupts.
 *
 * A task is a 16-byte aligned control block (struct rt_task) whose first member is its
 * poll function. The function is a coroutine: RT_BEGIN resumes it where it suspended,
 * RT_YIELD / RT_AWAIT_IRQ / RT_AWAIT_MSG suspend it (save the resume point, start the
 * wait, return to the dispatcher). Coroutine state that lives across a suspension must
 * be kept in the control block (u[] or a larger struct that embeds rt_task first).
 *
 * Device model: InterruptSource vector v (line level, acknowledged by writing ACK)
 * drives PLIC source v + 1 and ATS-INTC irq_in[v]. A task waiting for a device
 * acknowledges it (rt_dev_ack) before it waits again; hw uses edge mode, sw completes
 * the PLIC gateway when the task waits again (so "complete" = "wait again", exactly
 * like the controller's level mode).
 */
#ifndef RT_H
#define RT_H

/* ---- several backends in one image (firmware/board/) -----------------------------------
 * There the runtime and a program are compiled once per backend with -DRT_UNITY, each of
 * their files a translation unit of its own as in the per-backend images, so that every
 * function's code is the same in both. Every global symbol of the runtime gets the
 * backend as a suffix (rt_init -> rt_init_hw, like zlib's Z_PREFIX); the program's main
 * is renamed by its wrapper; rt_isr and rt_trap_entry (trap.S) keep their names, only
 * the sw backend has them. The console output goes through rt_console_* (one set for the
 * image, which keeps a copy to read the RESULT lines back); the calls have the size of
 * the console_* calls they replace. The RT_UNITY-only code (rt_fini) comes after all
 * the rest, and the per-backend images do not change at all. */
#ifdef RT_UNITY
#if defined(BACKEND_HW)
#define RT_NAME(x) x##_hw
#elif defined(BACKEND_SW)
#define RT_NAME(x) x##_sw
#else
#define RT_NAME(x) x##_poll
#endif
#define rt_stop RT_NAME(rt_stop)
#define rt_idle RT_NAME(rt_idle)
#define rt_cycle_offset RT_NAME(rt_cycle_offset)
#define rt_init RT_NAME(rt_init)
#define rt_fini RT_NAME(rt_fini)
#define rt_backend_init RT_NAME(rt_backend_init)
#define rt_spawn RT_NAME(rt_spawn)
#define rt_run RT_NAME(rt_run)
#define rt_use_processes RT_NAME(rt_use_processes)
#define rt_errors RT_NAME(rt_errors)
#define rt_work RT_NAME(rt_work)
#define rt_multi RT_NAME(rt_multi)
#define rt_bitmap RT_NAME(rt_bitmap)
#define rt_head RT_NAME(rt_head)
#define rt_tail RT_NAME(rt_tail)
#define rt_lowbit RT_NAME(rt_lowbit)
#define rt_poll_devices RT_NAME(rt_poll_devices)
#define rt_preempt_mask RT_NAME(rt_preempt_mask)
#define rt_block RT_NAME(rt_block)
#define rt_send RT_NAME(rt_send)
#define rt_listen RT_NAME(rt_listen)
#define rt_recv RT_NAME(rt_recv)
#define rt_result_begin RT_NAME(rt_result_begin)
#define rt_kv RT_NAME(rt_kv)
#define rt_kv_signed RT_NAME(rt_kv_signed)
#define rt_result_end RT_NAME(rt_result_end)
#define rt_sort RT_NAME(rt_sort)
#define rt_percentile RT_NAME(rt_percentile)
#define rt_check RT_NAME(rt_check)
#define rt_sleep_until RT_NAME(rt_sleep_until)
#define rt_cancel RT_NAME(rt_cancel)
#define rt_timer_expire RT_NAME(rt_timer_expire)
#define rt_block_timeout RT_NAME(rt_block_timeout)
#define rt_recv_timeout RT_NAME(rt_recv_timeout)
#define console_putc rt_console_putc    /* console.h declares them under these names */
#define console_puts rt_console_puts
#define console_put_uint rt_console_put_uint
#endif

#include <stdint.h>

#include "atsintc_regs.h"
#include "console.h"
#include "soc.h"

#if defined(BACKEND_HW) + defined(BACKEND_SW) + defined(BACKEND_POLL) != 1
#error "define exactly one of BACKEND_HW, BACKEND_SW, BACKEND_POLL"
#endif

#if defined(BACKEND_HW)
#define RT_BACKEND "hw"
#elif defined(BACKEND_SW)
#define RT_BACKEND "sw"
#else
#define RT_BACKEND "poll"
#endif

#define RT_PRIOS 8                      /* 0 is the highest */
#define RT_VECTORS SOC_DEVICE_VECTORS
#define RT_CHANNELS SOC_ATSINTC_CHANNELS
#define RT_PROCS 3                      /* process 0 = kernel, 1 and 2 = user */

#define RT_MMIO(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

typedef struct rt_task rt_task;
typedef void (*rt_fn)(rt_task *);

struct rt_task {
    rt_fn fn;               /* 0: poll function (the dispatcher calls fn(task)) */
    void *resume;           /* 4: resume point, 0 = start */
    uint32_t word;          /* 8: ATS-INTC task word (pointer | prio << 1) */
    uintptr_t win;          /* 12: ATS-INTC window of the task's process */
    rt_task *next;          /* 16: software ready-queue link */
    uint8_t prio, proc, done, flags;
    uint32_t dl_lo, dl_hi;  /* 24: deadline while sleeping (sw and poll) */
    uint32_t u[4];          /* coroutine locals */
} __attribute__((aligned(ATSINTC_TCB_ALIGN)));

/* ---- coroutine macros ---------------------------------------------------------------- */
#define RT__CAT2(a, b) a##b
#define RT__CAT(a, b) RT__CAT2(a, b)
#define RT__LABEL RT__CAT(rt_resume_, __LINE__)

#define RT_BEGIN(t)                     \
    do {                                \
        if ((t)->resume)                \
            goto *(t)->resume;          \
    } while (0)

/* Suspend: remember where to resume (stored only when it changes: a RAM store is a
 * bus write on the write-through D-cache), start the wait (`action`), then switch
 * straight to the next ready task (a tail call, so the stack does not grow) or return
 * to rt_run when none is ready. */
#define RT_SUSPEND(t, action)                           \
    do {                                                \
        if ((t)->resume != &&RT__LABEL)                 \
            (t)->resume = &&RT__LABEL;                  \
        action;                                         \
        RT_SWITCH();                                    \
    RT__LABEL:;                                         \
    } while (0)

#define RT_SWITCH()                                     \
    do {                                                \
        rt_task *rt__n = rt_next();                     \
        if (rt__n) {                                    \
            __attribute__((musttail)) return rt__n->fn(rt__n); \
        }                                               \
        return;                                         \
    } while (0)

#define RT_YIELD(t) RT_SUSPEND(t, rt_wake(t))
#define RT_SLEEP_UNTIL(t, dl) RT_SUSPEND(t, rt_sleep_until(t, dl))
/* Wait for device v's interrupt, or for IPC channel c's message, until a deadline:
 * whichever comes first resumes the task; rt_timed_out(t) then says which. */
#define RT_AWAIT_IRQ_TIMEOUT(t, v, dl) RT_SUSPEND(t, rt_block_timeout(t, v, dl))
#define RT_AWAIT_MSG_TIMEOUT(t, c, dl) RT_SUSPEND(t, rt_recv_timeout(t, c, dl))
#define RT_SLEEP(t, cycles) RT_SLEEP_UNTIL(t, rt_now() + (cycles))
#define RT_AWAIT_IRQ(t, v) RT_SUSPEND(t, rt_block(t, v))
#define RT_AWAIT_MSG(t, c) RT_SUSPEND(t, rt_listen(t, c))
#define RT_END(t)                       \
    do {                                \
        (t)->done = 1;                  \
        return;                         \
    } while (0)

/* ---- state shared by all backends ------------------------------------------------------ */
extern volatile uint32_t rt_stop;       /* rt_run returns once this is set and idle */
extern uint32_t rt_idle;                /* idle cycles counted by the dispatcher */
extern int32_t rt_cycle_offset;         /* SoC CYCLE - mcycle (rt_init calibrates) */

void rt_init(void);
void rt_spawn(rt_task *t, rt_fn fn, unsigned prio, unsigned proc);
void rt_run(void);                      /* dispatch until idle with rt_stop set */
void rt_use_processes(unsigned n);      /* hw: n > 1 dispatches processes 0..n-1 */
uint32_t rt_errors(void);               /* sticky error bits (hw: all windows) */
#ifdef RT_UNITY
/* Undo rt_init so that the next backend of the image starts clean: interrupts off and
 * disabled, mtvec = `mtvec` (the image's own trap handler), and both interrupt
 * controllers emptied, since the devices drive both whichever backend runs (PLIC:
 * gateways completed, pending sources claimed, enables and priorities 0; ATS-INTC:
 * blocked tasks, pending interrupts, waiting handlers, messages and ready tasks consumed,
 * vector configuration, capabilities and errors back to their reset values). Prints a
 * CHECK line; returns 1 if both controllers are idle. */
int rt_fini(uint32_t mtvec);
#endif

/* mcycle, ordered with respect to memory accesses. */
static inline uint32_t rt_cyc(void)
{
    uint32_t v;
    __asm__ volatile("rdcycle %0" : "=r"(v)::"memory");
    return v;
}

/* The time of the timers: the SoC's mtime (+1 per cycle from reset, like its CYCLE
 * counter, which rt_init relates to mcycle; the runtime never writes MTIME). */
static inline uint64_t rt_now(void)
{
    return rdcycle64() + (uint64_t)(int64_t)rt_cycle_offset;
}

/* rt_task.flags: the last timed wait ended by its deadline (RT_FLAG_TIMEOUT); sw and
 * poll also keep there what a task waits for with a deadline (a vector or a channel,
 * its number in bits 7..3). */
#define RT_FLAG_TIMEOUT 1u
#define RT_FLAG_TIMED_IRQ 2u
#define RT_FLAG_TIMED_MSG 4u

static inline int rt_timed_out(const rt_task *t)
{
    return t->flags & RT_FLAG_TIMEOUT;
}

#define RT_MIE_MEIE (1u << 11)          /* mie / mip: machine external interrupt */
#define RT_MIP_MEIP RT_MIE_MEIE

/* ---- backend operations ------------------------------------------------------------------ */
#if defined(BACKEND_HW)

/* The task of a dequeued word, 0 for the word 0. Bit 0 set = a timed wait ended by its
 * deadline (the controller sets it; the runtime's own task words have it 0): noted in
 * the task, off the hot path (one bit test, then the mask; the caller's null check
 * covers the word 0). */
static inline __attribute__((always_inline)) rt_task *rt_task_of(uint32_t w)
{
    rt_task *t = (rt_task *)(w & ~(ATSINTC_TCB_ALIGN - 1u));
    if (__builtin_expect(w & 1, 0) && t)
        t->flags |= RT_FLAG_TIMEOUT;
    return t;
}

#define RT_WIN(p) ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, p)

/* Register accesses of the hot paths: uncached loads and stores, or (-DRT_CFU, on
 * SoC(cpu_variant="VexRiscv_FullCfu")) custom instructions through the CFU port for the
 * reads (DEQUEUE, DEQUEUE_WAIT, READY_SUMMARY, RECV, TIMER_STATUS), and with
 * -DRT_CFU_WRITES for the writes too (an uncached store is posted: 1 cycle either way,
 * see atsintc_cfu.h). `off` is a register offset, `win` a window's address. */
#if defined(RT_CFU_WRITES) && !defined(RT_CFU)
#error "RT_CFU_WRITES needs RT_CFU"
#endif
#include "atsintc_cfu.h"
#ifdef RT_CFU
#define RT_RD(win, off) atsintc_cfu_read(win, off)
#else
#define RT_RD(win, off) RT_MMIO((win) + (off))
#endif
#ifdef RT_CFU_WRITES
#define RT_WR(win, off, v) atsintc_cfu_write(win, off, v)
#else
#define RT_WR(win, off, v) (RT_MMIO((win) + (off)) = (v))
#endif

/* CSR 0xBC0 (VexRiscv's externalInterruptArray mask) = `bits`, keeping bit 31 (on
 * VexRiscv_FullCfu the CFU enable, see atsintc_cfu.h). */
static inline void rt_set_meimask(uint32_t bits)
{
    uint32_t v;
    __asm__ volatile("csrr %0, %1" : "=r"(v) : "i"(SOC_CSR_MEIMASK));
    __asm__ volatile("csrw %0, %1" ::"i"(SOC_CSR_MEIMASK), "r"((v & ATSINTC_CFU_ENABLE) | bits));
}

static inline void rt_wake(rt_task *t)
{
    RT_WR(t->win, ATSINTC_PROC_ENQUEUE, t->word);
}

static inline void rt_block(rt_task *t, unsigned v)
{
    RT_WR(t->win, ATSINTC_PROC_BLOCK(v), t->word);
}

static inline void rt_send(rt_task *from, unsigned proc, unsigned chan, uint32_t msg)
{
    RT_WR(from->win, ATSINTC_PROC_SEND(proc * ATSINTC_CHANNELS + chan), msg);
}

static inline void rt_listen(rt_task *t, unsigned chan)
{
    RT_WR(t->win, ATSINTC_PROC_HANDLER(chan), t->word);
}

static inline uint32_t rt_recv(rt_task *t, unsigned chan)
{
    return RT_RD(t->win, ATSINTC_PROC_RECV(chan));
}

/* Sleep until `deadline` (mtime units): DEADLINE, DEADLINE_HI, then SLEEP = the task
 * word; the controller makes the task ready when the time reaches the deadline (at once
 * if it has). Used through RT_SLEEP_UNTIL / RT_SLEEP. */
static inline void rt_set_deadline(rt_task *t, uint64_t deadline)
{
    RT_MMIO(t->win + ATSINTC_PROC_DEADLINE) = (uint32_t)deadline;
    RT_MMIO(t->win + ATSINTC_PROC_DEADLINE_HI) = (uint32_t)(deadline >> 32);
}

static inline void rt_sleep_until(rt_task *t, uint64_t deadline)
{
    rt_set_deadline(t, deadline);
    RT_MMIO(t->win + ATSINTC_PROC_SLEEP) = t->word;
}

/* Wait for device v's interrupt until `deadline`: BLOCK_UNTIL (the controller makes the
 * task ready with the event or at the deadline, and says which in bit 0). */
static inline void rt_block_timeout(rt_task *t, unsigned v, uint64_t deadline)
{
    if (t->flags)
        t->flags = 0;
    rt_set_deadline(t, deadline);
    RT_MMIO(t->win + ATSINTC_PROC_BLOCK_UNTIL(v)) = t->word;
}

/* Listen on channel c until `deadline`: HANDLER_UNTIL. */
static inline void rt_recv_timeout(rt_task *t, unsigned c, uint64_t deadline)
{
    if (t->flags)
        t->flags = 0;
    rt_set_deadline(t, deadline);
    RT_MMIO(t->win + ATSINTC_PROC_HANDLER_UNTIL(c)) = t->word;
}

/* Cancel t's sleep: 1 if it was sleeping (it will not run until woken otherwise), 0 if
 * it was not (its deadline had passed: it is ready, or has run). */
static inline int rt_cancel(rt_task *t)
{
    RT_MMIO(t->win + ATSINTC_PROC_CANCEL) = t->word;
    return RT_RD(t->win, ATSINTC_PROC_TIMER_STATUS) & ATSINTC_PROC_TIMER_STATUS_CANCELLED_MASK;
}

/* Preemption hint for cooperative yield points: rt_preempt_init(prio) once, then
 * rt_preempted() is nonzero while a task of a better priority than `prio` is ready
 * (process 0). hw: the controller's hint, irq_out[0] with IRQ_ENABLE.PREEMPT and
 * CUR_PRIO = prio, read as mip.MEIP (externalInterruptArray[SOC_EXT_IRQ_ATSINTC], the
 * only line enabled in MEIMASK; mstatus.MIE stays off, so it is never taken as a trap):
 * one CSR read, no bus access. CUR_PRIO is not changed when tasks switch, so the hint
 * is meant for the tasks of that priority (background work that yields). */
#ifdef RT_IDLE_WFI
/* irq_out[0] cannot be both the WFI wake-up (NONEMPTY) and the hint (PREEMPT). */
void rt__preempt_hint_needs_no_idle_wfi(void)
    __attribute__((error("rt_preempt_init: not with -DRT_IDLE_WFI (irq_out[0] is its wake-up)")));
#endif

static inline void rt_preempt_init(unsigned prio)
{
#ifdef RT_IDLE_WFI
    rt__preempt_hint_needs_no_idle_wfi();
#endif
    RT_MMIO(RT_WIN(0) + ATSINTC_PROC_CUR_PRIO) = prio;
    RT_MMIO(RT_WIN(0) + ATSINTC_PROC_IRQ_ENABLE) = ATSINTC_PROC_IRQ_ENABLE_PREEMPT_MASK;
    rt_set_meimask(1u << SOC_EXT_IRQ_ATSINTC);
}

static inline int rt_preempted(void)
{
    uint32_t mip;
    __asm__ volatile("csrr %0, mip" : "=r"(mip)::"memory");
    return mip & RT_MIP_MEIP;
}

/* Raw queue operations (benchmark 1): process 0's window. */
static inline void rt_q_push(rt_task *t)
{
    RT_WR(RT_WIN(0), ATSINTC_PROC_ENQUEUE, t->word);
}

static inline rt_task *rt_q_pop(void)
{
    uint32_t w = RT_RD(RT_WIN(0), ATSINTC_PROC_DEQUEUE);
    return rt_task_of(w);
}

extern uint32_t rt_multi;               /* dispatching several processes */

/* Several processes: the kernel's READY_SUMMARY says which has work, the lowest slot
 * (the kernel first) runs. Branch-free: the lowest set bit b (1, 2 or 4 for processes
 * 0..2) gives the window's number p + 1 = b - (b >> 2). */
static inline __attribute__((always_inline)) rt_task *rt_next_multi(void)
{
    uint32_t s = RT_RD(SOC_ATSINTC_BASE, ATSINTC_KERNEL_READY_SUMMARY);
    if (!s)
        return 0;
    uint32_t b = s & -s;
    _Static_assert(RT_PROCS == 3, "b - (b >> 2) - 1 is the process for 3 processes");
    uint32_t w = RT_RD(ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, b - (b >> 2) - 1),
                       ATSINTC_PROC_DEQUEUE);
    return rt_task_of(w);
}

/* The next task to run after a suspension (0: none, return to rt_run). */
static inline rt_task *rt_next(void)
{
    if (__builtin_expect(rt_multi, 0))
        return rt_next_multi();
    return rt_q_pop();
}

#else /* software ready queue (sw and poll) */

extern volatile uint32_t rt_bitmap;     /* bit p: priority p has ready tasks */
extern rt_task *rt_head[RT_PRIOS], *rt_tail[RT_PRIOS];
extern uint8_t rt_lowbit[256];      /* lowest set bit of a byte (filled by rt_init) */

static inline void rt_irq_off(void)
{
#if defined(BACKEND_SW)
    __asm__ volatile("csrci mstatus, 8" ::: "memory");
#endif
}

static inline void rt_irq_on(void)
{
#if defined(BACKEND_SW)
    __asm__ volatile("csrsi mstatus, 8" ::: "memory");
#endif
}

static inline void rt_q_push_locked(rt_task *t)
{
    unsigned p = t->prio;
    t->next = 0;
    if (rt_tail[p])
        rt_tail[p]->next = t;
    else
        rt_head[p] = t;
    rt_tail[p] = t;
    rt_bitmap |= 1u << p;
}

static inline rt_task *rt_q_pop_locked(void)
{
    uint32_t b = rt_bitmap;
    if (!b)
        return 0;
    unsigned p = rt_lowbit[b & 0xFF];
    rt_task *t = rt_head[p];
    rt_task *n = t->next;
    rt_head[p] = n;
    if (!n) {
        rt_tail[p] = 0;
        rt_bitmap = b & ~(1u << p);
    }
    return t;
}

static inline void rt_q_push(rt_task *t)
{
    rt_irq_off();
    rt_q_push_locked(t);
    rt_irq_on();
}

static inline rt_task *rt_q_pop(void)
{
    rt_irq_off();
    rt_task *t = rt_q_pop_locked();
    rt_irq_on();
    return t;
}

static inline void rt_wake(rt_task *t)
{
    rt_q_push(t);
}

/* Software timers (what an RTOS does): a list of sleeping tasks sorted by deadline
 * (FIFO among equals); sw: the machine timer's mtimecmp is the head's deadline and its
 * interrupt moves the due tasks to the ready queue; poll: the dispatch loop checks the
 * head. rt_sleep_until with a deadline already reached makes the task ready at once. */
void rt_sleep_until(rt_task *t, uint64_t deadline);
int rt_cancel(rt_task *t);
void rt_timer_expire(void);             /* move the due tasks (interrupts off) */
void rt_block_timeout(rt_task *t, unsigned v, uint64_t deadline);
void rt_recv_timeout(rt_task *t, unsigned c, uint64_t deadline);

#if defined(BACKEND_POLL)
void rt_poll_devices(void);
static inline rt_task *rt_next(void)
{
    rt_poll_devices();
    return rt_q_pop_locked();
}
#else
static inline rt_task *rt_next(void)
{
    return rt_q_pop();
}
#endif

/* Preemption hint (see the hw version): a task of a better priority than `prio` is in
 * the ready bitmap (poll: after polling the devices). */
extern uint32_t rt_preempt_mask;
static inline void rt_preempt_init(unsigned prio)
{
    rt_preempt_mask = (1u << prio) - 1;
}

static inline int rt_preempted(void)
{
#if defined(BACKEND_POLL)
    rt_poll_devices();
#endif
    return rt_bitmap & rt_preempt_mask;
}

void rt_block(rt_task *t, unsigned v);
void rt_send(rt_task *from, unsigned proc, unsigned chan, uint32_t msg);
void rt_listen(rt_task *t, unsigned chan);
uint32_t rt_recv(rt_task *t, unsigned chan);

#endif

/* ---- devices (InterruptSource) ------------------------------------------------------------ */
#define RT_DEV(v, reg) RT_MMIO(SOC_IRQSRC_BASE + SOC_IRQSRC_BLOCK * (v) + (reg))
#define RT_DEV_GLOBAL(reg) RT_MMIO(SOC_IRQSRC_BASE + (reg))

static inline void rt_dev_ack(unsigned v)
{
    RT_DEV(v, SOC_IRQSRC_ACK) = 1;
}

static inline uint32_t rt_dev_stamp(unsigned v)
{
    return RT_DEV(v, SOC_IRQSRC_STAMP_LO);
}

/* mcycle (low word) converted to the SoC CYCLE time base of device stamps. */
static inline uint32_t rt_now_soc(void)
{
    return rdcycle32() + (uint32_t)rt_cycle_offset;
}

/* Spin for about n cycles of work (an instruction loop, so that interrupts taken
 * meanwhile make it longer, as they would real work). */
void rt_work(uint32_t iterations);

/* ---- small helpers for result lines ------------------------------------------------------- */
void rt_result_begin(const char *bench);        /* "RESULT <bench> <backend>" */
void rt_kv(const char *key, uint32_t value);     /* " key=value" */
void rt_kv_signed(const char *key, int32_t value);
void rt_result_end(void);                        /* newline */
void rt_sort(uint32_t *a, uint32_t n);           /* ascending */
uint32_t rt_percentile(const uint32_t *sorted, uint32_t n, uint32_t pct);
int rt_check(int ok, const char *what);          /* prints CHECK line, returns ok */

#endif /* RT_H */
