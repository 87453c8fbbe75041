/* Functional checks of the SMP executor (rt/smp_exec.h) on SoC(harts=2), in each mode
 * (SX_HW_WAIT, SX_HW_WFI, SX_SW):
 *
 * 1. order: hart 0 alone; N tasks woken with mixed priorities run best priority
 *    first, FIFO among equal priorities.
 * 2. both harts: K tasks each run R times (a run wakes its task again) on one queue
 *    shared by the two harts: every run exactly once per task, both harts take part.
 * 3. cross-hart wake: hart 1 idles on queue 1; a task there sends to channel 0 of
 *    queue 0, whose listener on hart 0 answers by waking a task of queue 1 again,
 *    M round trips; every message arrives once and in order.
 * 4. (SX_SW) a send to a full channel is refused with SX_ERR_IPC_FULL and a second
 *    listener with SX_ERR_HANDLER_BUSY; nothing already in the channel is lost.
 *
 * Prints "CHECK <mode> <what> ok|FAIL"; exit code = failed checks. */
#include <stdint.h>

#include "../rt/smp_exec.h"
#include "console.h"
#include "smp.h"
#include "soc.h"

#define N 24
#define K 8
#define R 25
#define M 30

enum { IDLE, RUN_Q0, RUN_Q1, STOP };

static struct smp_cmd cmdbox;
static uint32_t ack_seq, fails;
static sx_task tasks[N], pong, ping;
static uint32_t order[N], nrun, runs[K], by_hart[2], received[M], next_msg;

static const char *mode_name(enum sx_mode m)
{
    return m == SX_HW_WAIT ? "hw-wait" : m == SX_HW_WFI ? "hw-wfi" : "sw";
}

static int check(enum sx_mode m, int ok, const char *what)
{
    console_puts("CHECK ");
    console_puts(mode_name(m));
    console_putc(' ');
    console_puts(what);
    console_puts(ok ? " ok\n" : " FAIL\n");
    SHARED(fails) += !ok;
    return ok;
}

static void command(uint32_t c)
{
    smp_post(&cmdbox, c, 1);
}

static void wait_ack(uint32_t acks)
{
    while (SHARED(ack_seq) == acks)
        ;
}

void hart_main(int hart)
{
    uint32_t seen = 0;
    __asm__ volatile("csrs mie, %0" ::"r"(SMP_MIP_MSIP));
    for (;;) {
        uint32_t c = smp_next(&cmdbox, &seen, hart);
        if (c == RUN_Q0 || c == RUN_Q1)
            sx_run((unsigned)hart, c == RUN_Q0 ? 0 : 1);
        else
            return;
        SHARED(ack_seq) += 1;
    }
}

/* ---- 1: priority order, FIFO among equals ------------------------------------------------- */
static void record_order(sx_task *t)
{
    uint32_t i = SHARED(nrun);
    SHARED(order[i]) = t->u[0];
    SHARED(nrun) = i + 1;
    if (i + 1 == N)
        sx_stop();
}

static void test_order(enum sx_mode m)
{
    sx_init(m, 1);
    SHARED(nrun) = 0;
    for (int i = 0; i < N; i++) {
        sx_task *t = sx_task_init(&tasks[i], record_order, (unsigned)(i * 5) % 8, 0);
        t->u[0] = (uint32_t)i;
        sx_wake(t);
    }
    sx_run(0, 0);
    int ok = SHARED(nrun) == N;
    for (int j = 1; j < N && ok; j++) {
        uint32_t a = SHARED(order[j - 1]), b = SHARED(order[j]);
        uint32_t pa = (a * 5) % 8, pb = (b * 5) % 8;
        ok = pa < pb || (pa == pb && a < b);
    }
    check(m, ok, "priority order, FIFO among equals");
}

/* ---- 2: both harts on one queue ------------------------------------------------------------- */
static void rerun(sx_task *t)
{
    uint32_t i = t->u[0];
    SHARED(runs[i]) += 1;
    SHARED(by_hart[smp_hartid()]) += 1;
    for (volatile int d = 0; d < 20; d++)
        ;
    if (--t->u[1]) {
        sx_wake(t);
        return;
    }
    smp_lock(0);
    uint32_t n = SHARED(nrun) + 1;
    SHARED(nrun) = n;
    smp_unlock(0);
    if (n == K)
        sx_stop();
}

static void test_two_harts(enum sx_mode m)
{
    sx_init(m, 2);
    SHARED(nrun) = 0;
    SHARED(by_hart[0]) = SHARED(by_hart[1]) = 0;
    uint32_t acks = SHARED(ack_seq);
    command(RUN_Q0);
    for (int i = 0; i < K; i++) {
        SHARED(runs[i]) = 0;
        sx_task *t = sx_task_init(&tasks[i], rerun, (unsigned)i % 8, 0);
        t->u[0] = (uint32_t)i;
        t->u[1] = R;
        sx_wake(t);
    }
    sx_run(0, 0);
    wait_ack(acks);
    int ok = 1;
    for (int i = 0; i < K; i++)
        ok &= SHARED(runs[i]) == R;
    check(m, ok, "every run exactly once on two harts");
    check(m, SHARED(by_hart[0]) + SHARED(by_hart[1]) == K * R && SHARED(by_hart[1]) > 0,
          "both harts ran tasks");
}

/* ---- 3: ping (queue 1, hart 1) <-> pong (listener on queue 0, hart 0) ------------------ */
static void ping_fn(sx_task *t)
{
    uint32_t k = SHARED(next_msg);
    if (k == M) {
        sx_stop();
        return;
    }
    SHARED(next_msg) = k + 1;
    sx_send(t, 0, 0, k + 1);
}

static void pong_fn(sx_task *t)
{
    uint32_t msg;
    while ((msg = sx_recv(t, 0))) {
        if (msg - 1 < M)
            SHARED(received[msg - 1]) += 1;
        sx_wake(sx_shared(&ping));
    }
    if (SHARED(next_msg) < M)
        sx_listen(t, 0);
}

static void test_ping_pong(enum sx_mode m)
{
    sx_init(m, 2);
    SHARED(next_msg) = 0;
    for (int k = 0; k < M; k++)
        SHARED(received[k]) = 0;
    sx_listen(sx_task_init(&pong, pong_fn, 0, 0), 0);
    uint32_t acks = SHARED(ack_seq);
    command(RUN_Q1);
    sx_wake(sx_task_init(&ping, ping_fn, 0, 1));
    sx_run(0, 0);
    wait_ack(acks);
    int ok = SHARED(next_msg) == M;
    for (int k = 0; k < M; k++)
        ok &= SHARED(received[k]) == 1;
    check(m, ok, "cross-hart IPC round trips, every message once");
    if (m != SX_SW) {
        uint32_t e = soc_read32(ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, 0) + ATSINTC_PROC_ERROR) |
                     soc_read32(ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, 1) + ATSINTC_PROC_ERROR);
        check(m, e == 0, "no controller error");
    }
}

/* ---- 4: refusals of the software channel ---------------------------------------------- */
static void test_sw_refusals(void)
{
    sx_init(SX_SW, 1);
    sx_task *a = sx_task_init(&tasks[0], record_order, 0, 0);
    sx_task *b = sx_task_init(&tasks[1], record_order, 0, 0);
    sx_listen(a, 1);
    sx_listen(b, 1);
    check(SX_SW, sx_errors_sw() == SX_ERR_HANDLER_BUSY, "second listener refused");
    sx_init(SX_SW, 1);
    for (uint32_t i = 1; i <= SX_CHAN_DEPTH + 1; i++)
        sx_send_sw(0, 1, i);
    check(SX_SW, sx_errors_sw() == SX_ERR_IPC_FULL, "send to a full channel refused");
    int ok = 1;
    for (uint32_t i = 1; i <= SX_CHAN_DEPTH; i++)
        ok &= sx_recv(a, 1) == i;
    check(SX_SW, ok && sx_recv(a, 1) == 0, "the channel's messages kept, in order");
}

int main(void)
{
    soc_write32(ATSINTC_KERNEL_BASE(SOC_ATSINTC_BASE) + ATSINTC_KERNEL_CAP(1), 1u << 0);
    static const enum sx_mode modes[] = {SX_HW_WAIT, SX_HW_WFI, SX_SW};
    for (unsigned i = 0; i < 3; i++) {
        test_order(modes[i]);
        test_two_harts(modes[i]);
        test_ping_pong(modes[i]);
    }
    test_sw_refusals();
    command(STOP);
    console_puts("failures ");
    console_put_uint(SHARED(fails));
    console_putc('\n');
    return (int)SHARED(fails);
}
