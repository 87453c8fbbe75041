/* The async runtime's backends (see rt.h). */
#include "rt.h"

volatile uint32_t rt_stop;
uint32_t rt_idle;
int32_t rt_cycle_offset;

/* Hot code first: the dispatcher and the wait operations should share I-cache space
 * with the tasks (the I-cache is 4 KiB, direct mapped); cold code is in rt_util.c,
 * which is linked last. */

__attribute__((noinline)) void rt_work(uint32_t iterations)
{
    for (uint32_t i = 0; i < iterations; i++)
        __asm__ volatile("");
}

void rt_spawn(rt_task *t, rt_fn fn, unsigned prio, unsigned proc)
{
    t->fn = fn;
    t->resume = 0;
    t->prio = (uint8_t)prio;
    t->proc = (uint8_t)proc;
    t->done = 0;
    t->next = 0;
    t->word = atsintc_task((uintptr_t)t, prio);
#if defined(BACKEND_HW)
    t->win = RT_WIN(proc);
#else
    t->win = 0;
#endif
    rt_wake(t);
}

/* ====================================================================================== */
#if defined(BACKEND_HW)

#define KERNEL(reg) RT_MMIO(SOC_ATSINTC_BASE + (reg))

#ifdef RT_IDLE_ACCT
/* Cycles a DEQUEUE_WAIT takes when a task is ready, with the two rdcycles around it:
 * measured at start-up (the least of a few tries: the first misses the I-cache); the
 * dispatcher counts anything above it as idle. */
static uint32_t rt_deq_cycles;

static void calibrate_idle(void)
{
    const uint32_t probe = atsintc_task(ATSINTC_TCB_ALIGN, 0);  /* never run: taken here */
    uint32_t best = ~0u;
    for (int i = 0; i < 4; i++) {
        RT_WR(RT_WIN(0), ATSINTC_PROC_ENQUEUE, probe);
        uint32_t t0 = rdcycle32();
        uint32_t w = RT_RD(RT_WIN(0), ATSINTC_PROC_DEQUEUE_WAIT);
        uint32_t d = rdcycle32() - t0;
        if (w == probe && d < best)
            best = d;
    }
    rt_deq_cycles = best;
}
#endif

void rt_backend_init(void)
{
#ifdef RT_CFU
    atsintc_cfu_enable();
#endif
    for (unsigned v = 0; v < RT_VECTORS; v++)
        KERNEL(ATSINTC_KERNEL_VEC_CFG(v)) = 0;     /* owner: process 0, edge mode */
    for (unsigned p = 0; p < RT_PROCS; p++) {
        KERNEL(ATSINTC_KERNEL_CAP(p)) = (1u << RT_PROCS) - 1;
        RT_MMIO(RT_WIN(p) + ATSINTC_PROC_ERROR) = ~0u;
    }
    KERNEL(ATSINTC_KERNEL_ERROR) = ~0u;
#ifdef RT_IDLE_ACCT
    calibrate_idle();
#endif
}

#ifdef RT_IDLE_WFI
/* One process, idle in WFI (-DRT_IDLE_WFI): DEQUEUE returns the best task or 0; with
 * none ready the hart sleeps in WFI until irq_out[0] (IRQ_ENABLE.NONEMPTY of process 0,
 * externalInterruptArray[SOC_EXT_IRQ_ATSINTC], enabled in mie with mstatus.MIE off: WFI
 * returns, no trap is taken). irq_out is a level, so a task made ready between the
 * DEQUEUE and the WFI keeps it from sleeping: no wakeup is lost. */
static void run_single(void)
{
    RT_MMIO(RT_WIN(0) + ATSINTC_PROC_IRQ_ENABLE) = ATSINTC_PROC_IRQ_ENABLE_NONEMPTY_MASK;
    rt_set_meimask(1u << SOC_EXT_IRQ_ATSINTC);
    __asm__ volatile("csrs mie, %0" ::"r"(RT_MIE_MEIE));
    for (;;) {
        rt_task *t = rt_task_of(RT_RD(RT_WIN(0), ATSINTC_PROC_DEQUEUE));
        if (__builtin_expect(t != 0, 1)) {
            t->fn(t);
            continue;
        }
        if (rt_stop)
            break;
#ifdef RT_IDLE_ACCT
        uint32_t t0 = rdcycle32();
        __asm__ volatile("wfi");
        rt_idle += rdcycle32() - t0;
#else
        __asm__ volatile("wfi");
#endif
    }
    __asm__ volatile("csrc mie, %0" ::"r"(RT_MIE_MEIE));
    RT_MMIO(RT_WIN(0) + ATSINTC_PROC_IRQ_ENABLE) = 0;
}
#else
/* One process: DEQUEUE_WAIT returns the best task, waiting in the controller while
 * none is ready (up to WAIT_TIMEOUT cycles, then 0). The hot loop is assembly, laid out
 * so that a woken task costs no taken branch: load, bit 0 (a timed wait's deadline:
 * noted in the task, off the path), mask, null check, the poll function, call. With
 * -DRT_IDLE_ACCT the load is timed (two rdcycles) and the cycles above rt_deq_cycles
 * are added to rt_idle when the task returns (or DEQUEUE_WAIT gave 0). Returns when
 * DEQUEUE_WAIT gave 0. */
#ifdef RT_CFU   /* the CFU read of DEQUEUE_WAIT (atsintc_cfu.h's encoding, %4..%6) */
#define RT__LOAD_DQ ".insn r %4, %5, %6, a0, %0, x0\n"
#define RT__DQ_ADDR RT_WIN(0)
#else
#define RT__LOAD_DQ "lw   a0, 0(%0)\n"
#define RT__DQ_ADDR (RT_WIN(0) + ATSINTC_PROC_DEQUEUE_WAIT)
#endif
#ifdef RT_IDLE_ACCT
/* the wait (s11, kept across the task's call) is accounted after the task, so that the
 * accounting adds only the second rdcycle and a subtraction to a wake-up */
#define RT__T0 "rdcycle t2\n"
#define RT__T1 "   rdcycle s11\n"
#define RT__ACCT "   sub  s11, s11, t2\n   "
#define RT__AFTER "   bltu %7, s11, 5f\n"   /* waited longer than a ready task takes */
#define RT__ADD_IDLE "   sub  s11, s11, %7\n" /* rt_idle += the wait - a ready task's */ \
                     "   lw   t4, 0(%8)\n" \
                     "   add  t4, t4, s11\n" \
                     "   sw   t4, 0(%8)\n"
#define RT__ACCT_TAIL "5:" RT__ADD_IDLE "   j    1b\n"
#define RT__ON_ZERO "   bgeu %7, s11, 3f\n" RT__ADD_IDLE
#define RT__DEQ_CYCLES rt_deq_cycles
#else
#define RT__T0 ""
#define RT__T1 ""
#define RT__ACCT "   "
#define RT__AFTER ""
#define RT__ACCT_TAIL ""
#define RT__ON_ZERO ""
#define RT__DEQ_CYCLES 0
#endif
static void run_single(void)
{
    uintptr_t dq = RT__DQ_ADDR;
    uint32_t deq_cycles = RT__DEQ_CYCLES;
    for (;;) {
        __asm__ volatile(
            "1: " RT__T0
            "   " RT__LOAD_DQ
            RT__T1
            "   andi t0, a0, 1\n"
            "   andi a0, a0, %1\n"
            RT__ACCT
            "bnez t0, 2f\n"
            "   beqz a0, 8f\n"
            "4: lw   t1, 0(a0)\n"
            "   jalr t1\n"
            RT__AFTER
            "   j    1b\n"
            "2: beqz a0, 8f\n"
            "   lbu  t0, %2(a0)\n"
            "   ori  t0, t0, %3\n"
            "   sb   t0, %2(a0)\n"
            "   j    4b\n"
            RT__ACCT_TAIL
            "8:\n"                      /* DEQUEUE_WAIT gave 0 */
            RT__ON_ZERO
            "3:\n"
            :
            : "r"(dq), "i"(-(int)ATSINTC_TCB_ALIGN), "i"(__builtin_offsetof(rt_task, flags)),
              "i"(RT_FLAG_TIMEOUT), "i"(ATSINTC_CFU_OPCODE),
              "i"(ATSINTC_CFU_FUNCT3(ATSINTC_PROC_DEQUEUE_WAIT, 0)),
              "i"(ATSINTC_CFU_FUNCT7(ATSINTC_PROC_DEQUEUE_WAIT)), "r"(deq_cycles),
              "r"(&rt_idle)
            : "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "a0", "a1", "a2", "a3", "a4",
              "a5", "a6", "a7", "s11", "memory");
        if (rt_stop)
            return;
    }
}
#endif

/* Several processes (IPC benchmarks): the kernel's READY_SUMMARY says which process
 * has work; the lowest slot (kernel first) runs. */
static void run_multi(void)
{
    for (;;) {
        rt_task *t = rt_next_multi();
        if (!t) {
            if (rt_stop)
                return;
            continue;
        }
        t->fn(t);
    }
}

uint32_t rt_multi;

void rt_use_processes(unsigned n)
{
    rt_multi = n > 1;
}

void rt_run(void)
{
    if (rt_multi)
        run_multi();
    else
        run_single();
}

uint32_t rt_errors(void)
{
    uint32_t e = KERNEL(ATSINTC_KERNEL_ERROR);
    for (unsigned p = 0; p < RT_PROCS; p++)
        e |= RT_MMIO(RT_WIN(p) + ATSINTC_PROC_ERROR);
    return e;
}

/* ====================================================================================== */
#else /* sw and poll: software ready queue */

volatile uint32_t rt_bitmap;
uint32_t rt_preempt_mask;
rt_task *rt_head[RT_PRIOS], *rt_tail[RT_PRIOS];
uint8_t rt_lowbit[256];

static rt_task *blocked[RT_VECTORS];

/* Software IPC: a mailbox of 4 words and a handler slot per (process, channel). */
#define MBOX 4
static uint32_t mbox[RT_PROCS][RT_CHANNELS][MBOX];
static uint8_t mb_head[RT_PROCS][RT_CHANNELS], mb_count[RT_PROCS][RT_CHANNELS];
static rt_task *handler[RT_PROCS][RT_CHANNELS];
static uint32_t sw_errors;

static void timed_event_locked(rt_task *t);

void rt_send(rt_task *from, unsigned proc, unsigned chan, uint32_t msg)
{
    (void)from;
    unsigned n = mb_count[proc][chan];
    if (n == MBOX) {
        sw_errors |= ATSINTC_ERR_IPC_FULL;
        return;
    }
    mbox[proc][chan][(mb_head[proc][chan] + n) % MBOX] = msg;
    mb_count[proc][chan] = (uint8_t)(n + 1);
    /* the slot is read with interrupts off: the timer interrupt takes a timed
     * waiter out of it (timeout), and that waiter must not be pushed a second time */
    rt_irq_off();
    rt_task *h = handler[proc][chan];
    if (h) {
        handler[proc][chan] = 0;
        timed_event_locked(h);
        rt_q_push_locked(h);
    }
    rt_irq_on();
}

void rt_listen(rt_task *t, unsigned chan)
{
    if (mb_count[t->proc][chan])
        rt_wake(t);
    else if (handler[t->proc][chan])
        sw_errors |= ATSINTC_ERR_HANDLER_BUSY;
    else
        handler[t->proc][chan] = t;
}

uint32_t rt_recv(rt_task *t, unsigned chan)
{
    unsigned p = t->proc;
    if (!mb_count[p][chan])
        return 0;
    uint32_t m = mbox[p][chan][mb_head[p][chan]];
    mb_head[p][chan] = (uint8_t)((mb_head[p][chan] + 1) % MBOX);
    mb_count[p][chan]--;
    return m;
}

void rt_use_processes(unsigned n)
{
    (void)n;
}

uint32_t rt_errors(void)
{
    return sw_errors;
}

/* ---- software timers ------------------------------------------------------------------ */
static rt_task *timer_head;             /* sleeping tasks, earliest deadline first */

static uint64_t deadline_of(const rt_task *t)
{
    return (uint64_t)t->dl_hi << 32 | t->dl_lo;
}

#if defined(BACKEND_SW)
#define SYSCTL(reg) RT_MMIO(SOC_SYSCTL_BASE + (reg))

/* mtimecmp = the head's deadline (all ones: none). The low word goes to all ones first,
 * so that no intermediate value raises a spurious interrupt. */
static void program_timer(void)
{
    uint64_t d = timer_head ? deadline_of(timer_head) : ~0ull;
    SYSCTL(SOC_SYSCTL_MTIMECMP_LO) = ~0u;
    SYSCTL(SOC_SYSCTL_MTIMECMP_HI) = (uint32_t)(d >> 32);
    SYSCTL(SOC_SYSCTL_MTIMECMP_LO) = (uint32_t)d;
}
#else
static void program_timer(void)
{
}
#endif

static void timer_unlink_locked(rt_task *t)
{
    for (rt_task **pp = &timer_head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            if (pp == &timer_head)
                program_timer();
            return;
        }
    }
}

static int timer_has_locked(const rt_task *t)
{
    for (rt_task *x = timer_head; x; x = x->next)
        if (x == t)
            return 1;
    return 0;
}

static void timer_insert_locked(rt_task *t, uint64_t deadline)
{
    t->dl_lo = (uint32_t)deadline;
    t->dl_hi = (uint32_t)(deadline >> 32);
    rt_task **pp = &timer_head;
    while (*pp && (int64_t)(deadline_of(*pp) - deadline) <= 0)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    if (pp == &timer_head)
        program_timer();
}

static int reached(uint64_t deadline)
{
    return (int64_t)(deadline - rt_now()) <= 0;
}

/* A timed waiter's event came first: it leaves the timer list. */
static void timed_event_locked(rt_task *t)
{
    if (t->flags & (RT_FLAG_TIMED_IRQ | RT_FLAG_TIMED_MSG)) {
        timer_unlink_locked(t);
        t->flags = 0;
    }
}

static void timeout_wait_locked(rt_task *t);

void rt_timer_expire(void)
{
    rt_task *t = timer_head;
    if (!t)
        return;
    uint64_t now = rt_now();
    if ((int64_t)(deadline_of(t) - now) > 0)
        return;
    do {
        rt_task *n = t->next;
        if (t->flags & (RT_FLAG_TIMED_IRQ | RT_FLAG_TIMED_MSG))
            timeout_wait_locked(t);         /* it stops waiting for the event */
        rt_q_push_locked(t);
        t = n;
    } while (t && (int64_t)(deadline_of(t) - now) <= 0);
    timer_head = t;
    program_timer();
}

void rt_sleep_until(rt_task *t, uint64_t deadline)
{
    rt_irq_off();
    if (reached(deadline))
        rt_q_push_locked(t);
    else
        timer_insert_locked(t, deadline);
    rt_irq_on();
}

int rt_cancel(rt_task *t)
{
    rt_irq_off();
    int found = timer_has_locked(t);
    if (found) {
        timer_unlink_locked(t);
        if (t->flags & (RT_FLAG_TIMED_IRQ | RT_FLAG_TIMED_MSG))
            timeout_wait_locked(t);         /* nor for its event */
        t->flags = 0;
    }
    rt_irq_on();
    return found;
}

/* A timed message wait (both software backends): a message waiting -> ready now; a
 * deadline reached -> ready now, timed out; else the handler slot and the timer list. */
void rt_recv_timeout(rt_task *t, unsigned c, uint64_t deadline)
{
    rt_irq_off();
    t->flags = 0;
    if (mb_count[t->proc][c]) {
        rt_q_push_locked(t);
    } else if (handler[t->proc][c]) {
        sw_errors |= ATSINTC_ERR_HANDLER_BUSY;
    } else if (reached(deadline)) {
        t->flags = RT_FLAG_TIMEOUT;
        rt_q_push_locked(t);
    } else {
        handler[t->proc][c] = t;
        t->flags = (uint8_t)(RT_FLAG_TIMED_MSG | c << 3);
        timer_insert_locked(t, deadline);
    }
    rt_irq_on();
}

#if defined(BACKEND_SW)

#define PLIC(reg) RT_MMIO(SOC_PLIC_BASE + (reg))

static uint8_t pending[RT_VECTORS];     /* claimed with nobody waiting */
static uint8_t owed[RT_VECTORS];        /* claimed, handed to the task, not completed */

extern void rt_trap_entry(void);

void rt_backend_init(void)
{
    for (unsigned i = 1; i <= RT_VECTORS; i++)
        PLIC(SOC_PLIC_PRIORITY(i)) = 1;
    PLIC(SOC_PLIC_THRESHOLD(0)) = 0;
    PLIC(SOC_PLIC_ENABLE(0, 0)) = ((1u << RT_VECTORS) - 1) << 1;
    while (PLIC(SOC_PLIC_CLAIM(0)))     /* nothing should be in flight, but be sure */
        ;
    __asm__ volatile("csrw mtvec, %0" ::"r"(rt_trap_entry));
    __asm__ volatile("csrw %0, %1" ::"i"(SOC_CSR_MEIMASK), "r"(1u << SOC_EXT_IRQ_PLIC));
    program_timer();                    /* no timer yet: mtimecmp all ones */
    __asm__ volatile("csrs mie, %0" ::"r"(RT_MIE_MEIE | (1u << 7)));    /* MEIE, MTIE */
    __asm__ volatile("csrsi mstatus, 8");
}

/* Called from rt_trap_entry: claim the source, wake the task that waits for it (or
 * remember the event), return. The gateway is completed when the task waits again
 * (after it has acknowledged the device), see rt_block. */
void rt_isr(void)
{
    uint32_t cause;
    __asm__ volatile("csrr %0, mcause" : "=r"(cause));
    if (cause == 0x80000007u) {         /* machine timer: the sleeping tasks that are due */
        rt_timer_expire();
        return;
    }
    if (cause != 0x8000000Bu)
        soc_exit(0x100u | (cause & 0xFF));
    uint32_t id = PLIC(SOC_PLIC_CLAIM(0));
    if (id == 0 || id > RT_VECTORS)
        return;
    unsigned v = id - 1;
    rt_task *t = blocked[v];
    if (t) {
        blocked[v] = 0;
        owed[v] = 1;
        timed_event_locked(t);
        rt_q_push_locked(t);
    } else {
        pending[v]++;
    }
}

/* Wait for vector v (interrupts off): an event pending -> ready now; returns 0 then,
 * 1 if the task now waits in blocked[v]. */
static int block_locked(rt_task *t, unsigned v)
{
    if (owed[v]) {                      /* the task has served the last event */
        owed[v] = 0;
        PLIC(SOC_PLIC_CLAIM(0)) = v + 1;        /* complete: re-open the gateway */
    }
    if (pending[v]) {
        pending[v]--;
        owed[v] = 1;
        rt_q_push_locked(t);
        return 0;
    }
    blocked[v] = t;
    return 1;
}

void rt_block(rt_task *t, unsigned v)
{
    rt_irq_off();
    block_locked(t, v);
    rt_irq_on();
}

void rt_block_timeout(rt_task *t, unsigned v, uint64_t deadline)
{
    rt_irq_off();
    t->flags = 0;
    if (pending[v] || !reached(deadline)) {
        if (block_locked(t, v)) {
            t->flags = (uint8_t)(RT_FLAG_TIMED_IRQ | v << 3);
            timer_insert_locked(t, deadline);
        }
    } else {
        t->flags = RT_FLAG_TIMEOUT;
        rt_q_push_locked(t);
    }
    rt_irq_on();
}

static void timeout_wait_locked(rt_task *t)
{
    unsigned i = t->flags >> 3;
    if (t->flags & RT_FLAG_TIMED_IRQ)
        blocked[i] = 0;
    else
        handler[t->proc][i] = 0;
    t->flags = RT_FLAG_TIMEOUT;
}

void rt_run(void)
{
    for (;;) {
        rt_irq_off();
        rt_task *t = rt_q_pop_locked();
        if (t) {
            rt_irq_on();
            t->fn(t);
            continue;
        }
        if (rt_stop) {
            rt_irq_on();
            return;
        }
        /* idle: WFI with interrupts disabled (no lost wakeup), then take the trap */
        uint32_t t0 = rdcycle32();
        __asm__ volatile("wfi");
        rt_idle += rdcycle32() - t0;
        rt_irq_on();
    }
}

#else /* BACKEND_POLL */

static uint32_t waitmask;               /* vectors with a blocked task */

void rt_backend_init(void)
{
}

void rt_block(rt_task *t, unsigned v)
{
    blocked[v] = t;
    waitmask |= 1u << v;
}

void rt_block_timeout(rt_task *t, unsigned v, uint64_t deadline)
{
    t->flags = 0;
    if (reached(deadline)) {
        t->flags = RT_FLAG_TIMEOUT;
        rt_q_push_locked(t);
        return;
    }
    rt_block(t, v);
    t->flags = (uint8_t)(RT_FLAG_TIMED_IRQ | v << 3);
    timer_insert_locked(t, deadline);
}

static void timeout_wait_locked(rt_task *t)
{
    unsigned i = t->flags >> 3;
    if (t->flags & RT_FLAG_TIMED_IRQ) {
        blocked[i] = 0;
        waitmask &= ~(1u << i);
    } else {
        handler[t->proc][i] = 0;
    }
    t->flags = RT_FLAG_TIMEOUT;
}

void rt_poll_devices(void)
{
    rt_timer_expire();
    uint32_t m = RT_MMIO(SOC_IRQSRC_BASE + SOC_IRQSRC_LINES) & waitmask;
    while (m) {
        unsigned v = rt_lowbit[m & 0xFF];
        m &= m - 1;
        waitmask &= ~(1u << v);
        timed_event_locked(blocked[v]);
        rt_q_push_locked(blocked[v]);
    }
}

void rt_run(void)
{
    uint32_t prev = rdcycle32();
    int was_idle = 0;
    for (;;) {
        uint32_t now = rdcycle32();
        if (was_idle)
            rt_idle += now - prev;
        prev = now;
        rt_poll_devices();
        rt_task *t = rt_q_pop_locked();
        if (t) {
            was_idle = 0;
            t->fn(t);
            prev = rdcycle32();
            continue;
        }
        if (rt_stop)
            return;
        was_idle = 1;
    }
}

#endif
#endif /* software queue */

