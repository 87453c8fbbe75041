/* The SMP executor (see smp_exec.h). */
#include "smp_exec.h"

struct sx_state sx_mem;

#define KERNEL(reg) (ATSINTC_KERNEL_BASE(SOC_ATSINTC_BASE) + (reg))
#define WIN(q) ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, q)
#define MIE_MSIE (1u << 3)
#define MIE_MEIE (1u << 11)

static const uint8_t lowbit4[16] = {0, 0, 1, 0, 2, 0, 1, 0, 3, 0, 1, 0, 2, 0, 1, 0};

static unsigned lowest(uint32_t b)      /* b != 0, < 256 */
{
    return (b & 0xF) ? lowbit4[b & 0xF] : 4 + lowbit4[(b >> 4) & 0xF];
}

void sx_init(enum sx_mode mode, unsigned harts)
{
    SX.mode = mode;
    SX.harts = harts;
    SX.stop = 0;
    SX.errors = 0;
    for (unsigned q = 0; q < SX_QUEUES; q++) {
        SX.bitmap[q] = 0;
        SX.idle[q] = 0;
        for (unsigned c = 0; c < SX_CHANNELS; c++) {
            SX.chan[q][c].head = SX.chan[q][c].count = 0;
            SX.chan[q][c].waiting = 0;
        }
        for (unsigned p = 0; p < SX_PRIOS; p++)
            SX.head[q][p] = SX.tail[q][p] = 0;
    }
}

sx_task *sx_task_init(sx_task *t, sx_fn fn, unsigned prio, unsigned q)
{
    t = sx_shared(t);
    t->fn = fn;
    t->prio = (uint8_t)prio;
    t->queue = (uint8_t)q;
    t->next = 0;
    t->word = atsintc_task((uintptr_t)t, prio);
    t->win = SX.mode == SX_SW ? 0 : WIN(q);
    return t;
}

void sx_stop(void)
{
    uint32_t me = smp_hartid();
    SX.stop = 1;
    for (uint32_t h = 0; h < SX.harts; h++)
        if (h != me)
            smp_ipi((int)h);
}

static void clear_msip(unsigned hart)
{
    uint32_t mip;
    __asm__ volatile("csrr %0, mip" : "=r"(mip));
    if (mip & SMP_MIP_MSIP)
        soc_write32(SOC_SMP_BASE + SOC_SMP_MSIP(hart), 0);
}

/* ---- the controller's queues ----------------------------------------------------------- */
static void run_hw(unsigned hart, unsigned q, int wfi)
{
    uintptr_t dq = WIN(q) + (wfi ? ATSINTC_PROC_DEQUEUE : ATSINTC_PROC_DEQUEUE_WAIT);
    clear_msip(hart);
    if (wfi) {
        soc_write32(KERNEL(ATSINTC_KERNEL_HART_PROCS(hart)), 1u << q);
        soc_write32(WIN(q) + ATSINTC_PROC_IRQ_ENABLE, ATSINTC_PROC_IRQ_ENABLE_NONEMPTY_MASK);
        __asm__ volatile("csrw %0, %1" ::"i"(SOC_CSR_MEIMASK), "r"(1u << SOC_EXT_IRQ_ATSINTC));
        __asm__ volatile("csrs mie, %0" ::"r"(MIE_MEIE | MIE_MSIE));
    }
    for (;;) {
        uint32_t w = soc_read32(dq);
        if (__builtin_expect(w != 0, 1)) {
            sx_task *t = (sx_task *)(w & ~(ATSINTC_TCB_ALIGN - 1u));
            t->fn(t);
            continue;
        }
        if (SX.stop) {
            clear_msip(hart);
            return;
        }
        if (wfi)
            __asm__ volatile("wfi");    /* a pending MSIP (sx_stop) makes it return */
    }
}

/* ---- the software queues ------------------------------------------------------------------ */
/* Push t onto its queue (the queue's lock held); returns the idle hart to IPI, or -1. */
static int push_locked(sx_task *t)
{
    unsigned q = t->queue, p = t->prio;
    int h = -1;
    t->next = 0;
    sx_task *tail = SX.tail[q][p];
    if (tail)
        tail->next = t;
    else
        SX.head[q][p] = t;
    SX.tail[q][p] = t;
    SX.bitmap[q] |= 1u << p;
    uint32_t idle = SX.idle[q];
    if (idle) {
        h = (int)lowest(idle);
        SX.idle[q] = idle & ~(1u << h);
    }
    return h;
}

void sx_wake_sw(sx_task *t)
{
    unsigned q = t->queue;
    smp_lock(SX_LOCK(q));
    int h = push_locked(t);
    smp_unlock(SX_LOCK(q));
    if (h >= 0)
        smp_ipi(h);
}

void sx_send_sw(unsigned q, unsigned c, uint32_t msg)
{
    volatile struct sx_chan *ch = &SX.chan[q][c];
    int h = -1;
    smp_lock(SX_LOCK(q));
    uint32_t n = ch->count;
    if (n == SX_CHAN_DEPTH) {
        SX.errors |= SX_ERR_IPC_FULL;
    } else {
        ch->msg[(ch->head + n) % SX_CHAN_DEPTH] = msg;
        ch->count = n + 1;
        sx_task *w = ch->waiting;
        if (w) {
            ch->waiting = 0;
            h = push_locked(w);
        }
    }
    smp_unlock(SX_LOCK(q));
    if (h >= 0)
        smp_ipi(h);
}

void sx_listen_sw(sx_task *t, unsigned c)
{
    unsigned q = t->queue;
    volatile struct sx_chan *ch = &SX.chan[q][c];
    int h = -1;
    smp_lock(SX_LOCK(q));
    if (ch->count)
        h = push_locked(t);
    else if (ch->waiting)
        SX.errors |= SX_ERR_HANDLER_BUSY;
    else
        ch->waiting = t;
    smp_unlock(SX_LOCK(q));
    if (h >= 0)
        smp_ipi(h);
}

uint32_t sx_recv_sw(sx_task *t, unsigned c)
{
    unsigned q = t->queue;
    volatile struct sx_chan *ch = &SX.chan[q][c];
    uint32_t m = 0;
    smp_lock(SX_LOCK(q));
    uint32_t n = ch->count;
    if (n) {
        uint32_t hd = ch->head;
        m = ch->msg[hd];
        ch->head = (hd + 1) % SX_CHAN_DEPTH;
        ch->count = n - 1;
    }
    smp_unlock(SX_LOCK(q));
    return m;
}

/* The best task of queue q, or 0 (then this hart is marked idle on q). */
static sx_task *pop_sw(unsigned q, uint32_t me)
{
    sx_task *t = 0;
    smp_lock(SX_LOCK(q));
    uint32_t b = SX.bitmap[q];
    if (b) {
        unsigned p = lowest(b);
        t = SX.head[q][p];
        sx_task *n = t->next;
        SX.head[q][p] = n;
        if (!n) {
            SX.tail[q][p] = 0;
            SX.bitmap[q] = b & ~(1u << p);
        }
        if (SX.idle[q] & me)            /* woken by something else than a wake */
            SX.idle[q] &= ~me;
    } else {
        SX.idle[q] |= me;
    }
    smp_unlock(SX_LOCK(q));
    return t;
}

static void run_sw(unsigned hart, unsigned q)
{
    uint32_t me = 1u << hart;
    __asm__ volatile("csrs mie, %0" ::"r"(MIE_MSIE));
    for (;;) {
        sx_task *t = pop_sw(q, me);
        if (t) {
            t->fn(t);
            continue;
        }
        if (SX.stop) {
            smp_lock(SX_LOCK(q));
            SX.idle[q] &= ~me;
            smp_unlock(SX_LOCK(q));
            return;
        }
        smp_wait_ipi((int)hart);        /* WFI until MSIP, then clear it */
    }
}

void sx_run(unsigned hart, unsigned q)
{
    uint32_t mode = SX.mode;
    if (mode == SX_SW)
        run_sw(hart, q);
    else
        run_hw(hart, q, mode == SX_HW_WFI);
}
