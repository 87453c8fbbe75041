/* Timer benchmarks (issue 13), the same code for every backend (rt.h):
 *   1. cost of a sleep and of a cancel (8 other tasks asleep)  RESULT timer_cost
 *   2. deadline -> first instruction of the woken task, CPU idle  RESULT timer_idle
 *   3. the same with 50% background load: a priority-7 task alternating work chunks
 *      of 100..400 cycles with sleeps of the same length     RESULT timer_load
 *   4. a periodic task, PERIODS periods of PERIOD cycles, idle and with that load:
 *      start offset (start - its deadline) min / max, jitter = max - min
 *                                                            RESULT periodic_idle / _load
 * Latencies are in mtime cycles (rt_now): the woken task reads the time first thing and
 * subtracts its deadline. hw: DEADLINE + SLEEP, the controller moves the task; sw: a
 * sorted software timer list, mtimecmp and the timer interrupt; poll: the list checked
 * in the dispatch loop. Functional checks print CHECK lines (deadline order, FIFO
 * among equal deadlines, a deadline already passed, cancel found / not found, every
 * sample woken once, waits with a timeout on a device and on a channel: the first of
 * the two wakes the task, which knows which; a late event or message is kept for the
 * next wait); the exit code is the number of failures.
 */
#include "rt.h"

#ifndef NSAMPLES
#define NSAMPLES 100
#endif
#ifndef PERIODS
#define PERIODS 1000
#endif
#define PERIOD 2000
#define GAP 1500                /* a sampler's sleep: GAP + 0..511 cycles */

static int fails;
static uint32_t samples[PERIODS > NSAMPLES ? PERIODS : NSAMPLES];
static uint32_t nsamples;
static uint32_t seed = 12345;

static uint32_t rnd(void)
{
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
}

static void check(int ok, const char *what)
{
    if (!rt_check(ok, what))
        fails++;
}

static void spin(uint32_t n)            /* n cycles of work */
{
    uint32_t t0 = rdcycle32();
    while (rdcycle32() - t0 < n)
        ;
}

static void report(const char *bench)
{
    rt_sort(samples, nsamples);
    rt_result_begin(bench);
    rt_kv("min", samples[0]);
    rt_kv("p50", rt_percentile(samples, nsamples, 50));
    rt_kv("p99", rt_percentile(samples, nsamples, 99));
    rt_kv("max", samples[nsamples - 1]);
    rt_kv("n", nsamples);
    rt_result_end();
}

/* ---- background load: 50% of the CPU at priority 7 --------------------------------- */
static rt_task bg;
static volatile uint32_t bg_stop;

static void background(rt_task *t)
{
    RT_BEGIN(t);
    while (!bg_stop) {
        t->u[0] = 100 + rnd() % 301;
        spin(t->u[0]);
        RT_SLEEP(t, t->u[0]);
    }
    RT_END(t);
}

/* ---- 1. sleep and cancel cost ------------------------------------------------------------ */
static rt_task fillers[8], probe;

static void nothing(rt_task *t)
{
    (void)t;
}

static void bench_cost(void)
{
    uint64_t far = rt_now() + 10000000;
    for (int i = 0; i < 8; i++) {                       /* 8 others asleep */
        rt_spawn(&fillers[i], nothing, 3, 0);
        (void)rt_q_pop();                               /* (spawn made it ready) */
        rt_sleep_until(&fillers[i], far + 1000u * i);
    }
    rt_spawn(&probe, nothing, 3, 0);
    (void)rt_q_pop();
    uint32_t best_s = ~0u, best_c = ~0u;
    int found = 1;
    for (int k = 0; k < 8; k++) {
        uint64_t d = far + 4500;                        /* in the middle of the list */
        uint32_t a = rt_cyc();
        rt_sleep_until(&probe, d);
        uint32_t b = rt_cyc();
        int f = rt_cancel(&probe);
        uint32_t c = rt_cyc();
        found &= f;
        best_s = b - a < best_s ? b - a : best_s;
        best_c = c - b < best_c ? c - b : best_c;
    }
    check(found, "timer: a sleeping task is cancelled (found)");
    check(!rt_cancel(&probe), "timer: a task not sleeping is not found");
    int all = 1;
    for (int i = 0; i < 8; i++)
        all &= rt_cancel(&fillers[i]);
    check(all, "timer: every filler cancelled");
    rt_result_begin("timer_cost");
    rt_kv("sleep", best_s);
    rt_kv("cancel", best_c);
    rt_result_end();
}

/* ---- order: deadlines in order, FIFO among equal ones, a passed deadline ----------------- */
static rt_task ord[5];
static uint32_t order[6], norder;
static uint64_t ord_base;

static void orderly(rt_task *t)
{
    static const uint16_t offs[5] = {900, 300, 600, 300, 300};
    RT_BEGIN(t);
    RT_SLEEP_UNTIL(t, ord_base + offs[t->u[0]]);
    order[norder++] = t->u[0];
    if (norder == 5)
        rt_stop = 1;
    RT_END(t);
}

static void test_order(void)
{
    ord_base = rt_now() + 3000;
    norder = 0;
    for (int i = 0; i < 5; i++) {
        ord[i].u[0] = i;
        rt_spawn(&ord[i], orderly, 2, 0);
    }
    rt_stop = 0;
    rt_run();
    check(norder == 5 && order[0] == 1 && order[1] == 3 && order[2] == 4 &&
          order[3] == 2 && order[4] == 0,
          "timer: deadline order, FIFO among equal deadlines");
    /* a deadline already passed: ready at once */
    rt_task *t = &ord[0];
    rt_spawn(t, nothing, 1, 0);
    (void)rt_q_pop();
    rt_sleep_until(t, rt_now() - 50);
    check(rt_q_pop() == t, "timer: a deadline already passed makes the task ready at once");
}

/* ---- 2./3. deadline -> task ------------------------------------------------------------- */
static rt_task sampler_task;
static uint64_t deadline;
static uint32_t woken;

static void sampler(rt_task *t)
{
    RT_BEGIN(t);
    for (t->u[1] = 0; t->u[1] < NSAMPLES; t->u[1]++) {
        deadline = rt_now() + GAP + (rnd() & 511);
        RT_SLEEP_UNTIL(t, deadline);
        uint32_t lat = (uint32_t)(rt_now() - deadline);         /* first thing */
        samples[nsamples++] = lat;
        woken++;
    }
    bg_stop = 1;
    rt_stop = 1;
    RT_END(t);
}

static void bench_latency(int load)
{
    nsamples = 0;
    woken = 0;
    bg_stop = 0;
    rt_spawn(&sampler_task, sampler, 0, 0);
    if (load)
        rt_spawn(&bg, background, 7, 0);
    rt_stop = 0;
    rt_run();
    check(woken == NSAMPLES, load ? "timer: every sample woken once (load)"
                                  : "timer: every sample woken once (idle)");
    report(load ? "timer_load" : "timer_idle");
}

/* ---- 4. periodic task --------------------------------------------------------------------- */
static rt_task periodic_task;
static uint64_t next_start;
static int32_t off_min, off_max;

static void periodic(rt_task *t)
{
    RT_BEGIN(t);
    next_start = rt_now() + PERIOD;
    for (t->u[1] = 0; t->u[1] < PERIODS; t->u[1]++) {
        RT_SLEEP_UNTIL(t, next_start);
        int32_t off = (int32_t)(rt_now() - next_start);         /* first thing */
        off_min = off < off_min ? off : off_min;
        off_max = off > off_max ? off : off_max;
        next_start += PERIOD;
        spin(300);                                              /* the period's work */
    }
    bg_stop = 1;
    rt_stop = 1;
    RT_END(t);
}

static void bench_periodic(int load)
{
    off_min = INT32_MAX;
    off_max = INT32_MIN;
    bg_stop = 0;
    rt_spawn(&periodic_task, periodic, 0, 0);
    if (load)
        rt_spawn(&bg, background, 7, 0);
    rt_stop = 0;
    rt_run();
    rt_result_begin(load ? "periodic_load" : "periodic_idle");
    rt_kv("periods", PERIODS);
    rt_kv_signed("min", off_min);
    rt_kv_signed("max", off_max);
    rt_kv("jitter", (uint32_t)(off_max - off_min));
    rt_result_end();
    check(off_min >= 0, load ? "timer: no period starts early (load)"
                             : "timer: no period starts early (idle)");
}

/* ---- waits with a timeout -------------------------------------------------------------- */
#define TDEV 1
#define TCHAN 3
#define TROUNDS 8
static rt_task waiter, sender;
static uint32_t w_ok, w_rounds, msgs_sent, msgs_got;

static void timed_waiter(rt_task *t)
{
    RT_BEGIN(t);
    for (t->u[1] = 0; t->u[1] < TROUNDS; t->u[1]++) {
        /* the device: first (even rounds) or 2500 cycles after the deadline (odd) */
        t->u[2] = t->u[1] & 1;
        RT_DEV(TDEV, SOC_IRQSRC_PERIOD) = t->u[2] ? 3000 : 400;
        RT_AWAIT_IRQ_TIMEOUT(t, TDEV, rt_now() + (t->u[2] ? 500 : 3000));
        w_ok += rt_timed_out(t) == (int)t->u[2];
        if (t->u[2])                            /* the late event is not lost */
            RT_AWAIT_IRQ(t, TDEV);
        rt_dev_ack(TDEV);
        /* a message: first (even rounds) or 2500 cycles after the deadline (odd) */
        rt_wake(&sender);
        RT_AWAIT_MSG_TIMEOUT(t, TCHAN, rt_now() + (t->u[2] ? 500 : 3000));
        w_ok += rt_timed_out(t) == (int)t->u[2];
        if (t->u[2])                            /* the late message is kept */
            RT_AWAIT_MSG(t, TCHAN);
        msgs_got += rt_recv(t, TCHAN) == t->u[1] + 1;
        w_rounds++;
    }
    rt_stop = 1;
    RT_END(t);
}

static void sender_fn(rt_task *t)
{
    RT_BEGIN(t);
    for (t->u[1] = 0; t->u[1] < TROUNDS; t->u[1]++) {
        RT_SLEEP(t, (t->u[1] & 1) ? 3000 : 400);
        rt_send(t, 0, TCHAN, t->u[1] + 1);
        msgs_sent++;
        if (t->u[1] + 1 < TROUNDS)
            RT_SUSPEND(t, (void)0);             /* until the waiter wakes it again */
    }
    RT_END(t);
}

static void test_timed_waits(void)
{
    RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 0;
    RT_DEV(TDEV, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_OFF;
    RT_DEV(TDEV, SOC_IRQSRC_PERIOD) = 1000000;
    RT_DEV(TDEV, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_ONESHOT;
    RT_DEV(TDEV, SOC_IRQSRC_COUNT) = 0;
    RT_DEV(TDEV, SOC_IRQSRC_MISSED) = 0;
    RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 1u << TDEV;
    rt_spawn(&sender, sender_fn, 2, 0);
    (void)rt_q_pop();                           /* runs when the waiter wakes it */
    rt_spawn(&waiter, timed_waiter, 1, 0);
    rt_stop = 0;
    rt_run();
    RT_DEV(TDEV, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_OFF;
    RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 0;
    check(w_rounds == TROUNDS && w_ok == 2 * TROUNDS,
          "timed waits: the first of event and deadline wakes the task, which knows which");
    check(RT_DEV(TDEV, SOC_IRQSRC_COUNT) == TROUNDS && RT_DEV(TDEV, SOC_IRQSRC_MISSED) == 0,
          "timed waits: every device event (late ones too) delivered once");
    check(msgs_sent == TROUNDS && msgs_got == TROUNDS,
          "timed waits: every message (late ones too) received once, in order");
}

int main(void)
{
    rt_init();
    console_puts("timer bench backend=" RT_BACKEND "\n");
    bench_cost();
    test_order();
    test_timed_waits();
    bench_latency(0);
    bench_latency(1);
    bench_periodic(0);
    bench_periodic(1);
    check(rt_errors() == 0, "no controller / runtime errors");
    console_puts(fails ? "timer bench FAILED\n" : "timer bench done\n");
    return fails;
}
