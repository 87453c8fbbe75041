/* The SMP executor: run-to-completion tasks dispatched by every hart of SoC(harts > 1)
 * from shared ready queues, in one of three modes chosen at run time (sx_init), so
 * that one image can compare them:
 *
 *   SX_HW_WAIT  ATS-INTC: queue q is process q's ready queue; a wake is one store to
 *               ENQUEUE, a hart takes the next task with one load from DEQUEUE_WAIT
 *               through its own controller port (the controller holds the load while
 *               the queue is empty, up to WAIT_TIMEOUT cycles; other harts are not
 *               stalled). Every hart running queue q takes tasks from the same queue
 *               (C-FCFS: the best task goes to whichever hart asks first).
 *   SX_HW_WFI   the same queues; a hart takes the next task with DEQUEUE and, when the
 *               queue is empty, sleeps in WFI until its hart_irq line rises (the kernel
 *               register HART_PROCS[hart] = 1 << q and the process's IRQ_ENABLE.NONEMPTY
 *               are set by sx_run). hart_irq is a level: a task made ready between the
 *               empty DEQUEUE and the WFI makes the WFI return at once (no lost wake).
 *   SX_SW       what an SMP RTOS does: queue q is a software ready queue (priority
 *               bitmap + FIFO list per priority) in the RAM's uncached alias, under the
 *               SoC's hardware spinlock SX_LOCK(q) (VexRiscv's AMOs act inside one core
 *               only); a hart that finds it empty marks itself idle (under the lock)
 *               and sleeps in WFI until its MSIP; a wake pushes the task and, if a hart
 *               of that queue is idle, clears its idle bit and raises its MSIP (an IPI).
 *               MSIP is a level, so an IPI sent before the WFI is not lost either.
 *
 * Tasks are control blocks of 32 bytes, aligned to ATSINTC_TCB_ALIGN; the executor and
 * the tasks use them only through the RAM's uncached alias (the harts' data caches are
 * not coherent), so a task word is an uncached address | priority << 1. A task's
 * function runs to completion (it may wake itself or other tasks); it is never run by
 * two harts at once unless it was woken twice.
 *
 * IPC (sx_send / sx_listen / sx_recv), the same pattern in every mode: a task listens
 * on channel c of its queue's process (a handler registration), a message sent there
 * makes it ready, and it takes the messages with sx_recv. hw: SEND / HANDLER / RECV of
 * the controller (the sender's process needs the capability). SX_SW: a software
 * channel per (queue, channel) of SX_CHAN_DEPTH messages under the queue's spinlock,
 * so that delivering a message and waking the listener are one critical section (with
 * the IPI after it). A send to a full channel is refused and sets SX_ERR_IPC_FULL in
 * the sw errors (hw: the controller's IPC_FULL error bit).
 *
 * Interrupts: sx_run enables the wake sources it sleeps on in mie (MSIE; MEIE and the
 * ATS-INTC bit of VexRiscv's external-interrupt mask in SX_HW_WFI) and never sets
 * mstatus.MIE: WFI wakes on them without a trap. */
#ifndef SMP_EXEC_H
#define SMP_EXEC_H

#include <stdint.h>

#include "atsintc_regs.h"
#include "smp.h"
#include "soc.h"

enum sx_mode { SX_HW_WAIT, SX_HW_WFI, SX_SW };

#define SX_QUEUES 3                     /* queues (= ATS-INTC processes) 0..2 */
#define SX_PRIOS 8                      /* 0 is the highest */
#define SX_MAX_HARTS 4
#define SX_LOCK(q) (4 + (q))            /* spinlocks 0..3 are left to the application */

typedef struct sx_task sx_task;
typedef void (*sx_fn)(sx_task *);

struct sx_task {
    sx_fn fn;                           /* 0: run by the dispatcher as fn(task) */
    uint32_t word;                      /* 4: ATS-INTC task word */
    uintptr_t win;                      /* 8: ATS-INTC window of its queue's process
                                         *    (0 in SX_SW: the wake path is per task) */
    sx_task *next;                      /* 12: software ready-queue link */
    uint8_t prio, queue, pad[2];        /* 16 */
    uint32_t u[3];                      /* 20: the task's own data */
} __attribute__((aligned(ATSINTC_TCB_ALIGN)));

#define SX_CHANNELS SOC_ATSINTC_CHANNELS
#define SX_CHAN_DEPTH SOC_ATSINTC_IPC_DEPTH
#define SX_ERR_IPC_FULL ATSINTC_ERR_IPC_FULL
#define SX_ERR_HANDLER_BUSY ATSINTC_ERR_HANDLER_BUSY

struct sx_chan {                        /* SX_SW's channel */
    uint32_t msg[SX_CHAN_DEPTH], head, count;
    sx_task *waiting;                   /* the registered listener, or 0 */
};

/* The executor's shared state (accessed through the uncached alias only). */
struct sx_state {
    uint32_t mode, stop, harts, errors;
    uint32_t bitmap[SX_QUEUES];         /* SX_SW: bit p = priority p has tasks */
    uint32_t idle[SX_QUEUES];           /* SX_SW: bit h = hart h sleeps on the queue */
    sx_task *head[SX_QUEUES][SX_PRIOS], *tail[SX_QUEUES][SX_PRIOS];
    struct sx_chan chan[SX_QUEUES][SX_CHANNELS];
};
extern struct sx_state sx_mem;
#define SX (*(volatile struct sx_state *)((uintptr_t)&sx_mem + \
                                           (SOC_RAM_UNCACHED_BASE - SOC_RAM_BASE)))

/* The uncached alias of a control block (the pointer the executor works with). */
static inline sx_task *sx_shared(sx_task *t)
{
    uintptr_t a = (uintptr_t)t;
    if (a < SOC_RAM_UNCACHED_BASE)
        a += SOC_RAM_UNCACHED_BASE - SOC_RAM_BASE;
    return (sx_task *)a;
}

/* Hart 0, before any hart runs: mode, number of harts, empty queues, stop cleared. */
void sx_init(enum sx_mode mode, unsigned harts);

/* Fill in task t (any alias) for queue q at priority prio; returns its uncached alias.
 * It is not ready until woken. */
sx_task *sx_task_init(sx_task *t, sx_fn fn, unsigned prio, unsigned q);

void sx_wake_sw(sx_task *t);

/* Make t (the uncached pointer sx_task_init returned) ready on its queue: with the
 * controller one store (its window and word are in the task, so no shared state is
 * read). */
static inline void sx_wake(sx_task *t)
{
    uintptr_t win = t->win;
    if (__builtin_expect(win != 0, 1))
        soc_write32(win + ATSINTC_PROC_ENQUEUE, t->word);
    else
        sx_wake_sw(t);
}

void sx_send_sw(unsigned q, unsigned c, uint32_t msg);
void sx_listen_sw(sx_task *t, unsigned c);
uint32_t sx_recv_sw(sx_task *t, unsigned c);

/* Send msg (nonzero) to channel c of queue q's process from the process whose window
 * is `win` (a sending task's t->win, which a loop can keep in a register; 0 in SX_SW). */
static inline void sx_send_win(uintptr_t win, unsigned q, unsigned c, uint32_t msg)
{
    if (__builtin_expect(win != 0, 1))
        soc_write32(win + ATSINTC_PROC_SEND(q * ATSINTC_CHANNELS + c), msg);
    else
        sx_send_sw(q, c, msg);
}

/* Send msg (nonzero) from task `from`'s process to channel c of queue q's process. */
static inline void sx_send(sx_task *from, unsigned q, unsigned c, uint32_t msg)
{
    sx_send_win(from->win, q, c, msg);
}

/* Task t (its function returns after this) runs again once channel c of its queue has
 * a message (at once if it has one already). One listener per channel. */
static inline void sx_listen(sx_task *t, unsigned c)
{
    uintptr_t win = t->win;
    if (__builtin_expect(win != 0, 1))
        soc_write32(win + ATSINTC_PROC_HANDLER(c), t->word);
    else
        sx_listen_sw(t, c);
}

/* The oldest message of channel c of t's queue, 0 if none. */
static inline uint32_t sx_recv(sx_task *t, unsigned c)
{
    uintptr_t win = t->win;
    if (__builtin_expect(win != 0, 1))
        return soc_read32(win + ATSINTC_PROC_RECV(c));
    return sx_recv_sw(t, c);
}

/* SX_SW's sticky error bits (SX_ERR_*); hw errors are in the controller's ERROR. */
static inline uint32_t sx_errors_sw(void)
{
    return SX.errors;
}

/* Dispatch queue q on this hart until sx_stop() has been called and q is empty. */
void sx_run(unsigned hart, unsigned q);

/* Make every sx_run return once its queue is empty: sets the stop flag and raises the
 * other harts' MSIP (a hart asleep in SX_HW_WAIT's DEQUEUE_WAIT notices it when the
 * wait ends: a task or WAIT_TIMEOUT). */
void sx_stop(void);

#endif /* SMP_EXEC_H */
