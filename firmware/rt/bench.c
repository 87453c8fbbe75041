/* Micro-benchmarks of the async runtime, the same code for every backend (rt.h):
 *   1. enqueue / dequeue cost seen by the CPU           RESULT queue
 *   2. task switch (yield -> next task's first instr.)  RESULT switch
 *   3. interrupt -> woken task, CPU idle                RESULT irq_idle
 *      ... with lower-priority tasks yielding every K   RESULT irq_busy
 *   4. IPC user -> user one-way wake and round trip     RESULT ipc
 *      system call user -> kernel -> user               RESULT syscall
 * Cycles are mcycle deltas (rt_cyc) minus the cost of an empty measurement
 * (`empty`, printed); interrupt latencies are task start (mcycle converted to the SoC
 * CYCLE time base) minus the device's STAMP. Each RESULT line gives min, p50 and max.
 * Functional checks print CHECK lines; the exit code is the number of failures.
 */
#include "rt.h"

#ifndef NSAMPLES
#define NSAMPLES 32
#endif
#ifndef BUSY_ITERS
#define BUSY_ITERS 60           /* work of a busy task between yields (calibrated) */
#endif

static int fails;
static uint32_t empty;          /* cost of rt_cyc(); rt_cyc() */
static uint32_t samples[2 * NSAMPLES + 8];
static uint32_t nsamples;

static void check(int ok, const char *what)
{
    if (!rt_check(ok, what))
        fails++;
}

/* min / p50 / max of samples[] as a RESULT line (sorts samples). */
static void report(const char *bench, const char *extra_key, uint32_t extra)
{
    rt_sort(samples, nsamples);
    rt_result_begin(bench);
    rt_kv("min", samples[0]);
    rt_kv("p50", rt_percentile(samples, nsamples, 50));
    rt_kv("max", samples[nsamples - 1]);
    rt_kv("n", nsamples);
    if (extra_key)
        rt_kv(extra_key, extra);
    rt_result_end();
}

static void sample(uint32_t v)
{
    if (nsamples < sizeof samples / sizeof samples[0])
        samples[nsamples++] = v;
}

/* ---- 1. queue operations ---------------------------------------------------------------- */
static rt_task qa;

__attribute__((noinline)) static uint32_t m_empty(void)
{
    uint32_t a = rt_cyc();
    uint32_t b = rt_cyc();
    return b - a;
}

__attribute__((noinline)) static uint32_t m_enqueue(void)
{
    uint32_t a = rt_cyc();
    rt_q_push(&qa);
    uint32_t b = rt_cyc();
    return b - a;
}

__attribute__((noinline)) static uint32_t m_dequeue(rt_task **got)
{
    uint32_t a = rt_cyc();
    rt_task *t = rt_q_pop();
    uint32_t b;
    __asm__ volatile("rdcycle %0" : "=r"(b) : "r"(t) : "memory");   /* waits for t */
    *got = t;
    return b - a;
}

__attribute__((noinline)) static uint32_t m_pair(rt_task **got)
{
    uint32_t a = rt_cyc();
    rt_q_push(&qa);
    rt_task *t = rt_q_pop();
    uint32_t b;
    __asm__ volatile("rdcycle %0" : "=r"(b) : "r"(t) : "memory");
    *got = t;
    return b - a;
}

static void bench_queue(void)
{
    uint32_t enq = ~0u, deq = ~0u, pair = ~0u, deq0 = ~0u;
    int ok = 1;
    qa.prio = 3;
    qa.word = atsintc_task((uintptr_t)&qa, 3);
    for (int i = 0; i < 8; i++) {
        uint32_t d;
        rt_task *got;
        d = m_enqueue();
        enq = d < enq ? d : enq;
        d = m_dequeue(&got);
        deq = d < deq ? d : deq;
        ok &= got == &qa;
        d = m_pair(&got);
        pair = d < pair ? d : pair;
        ok &= got == &qa;
        d = m_dequeue(&got);
        deq0 = d < deq0 ? d : deq0;
        ok &= got == 0;
    }
    rt_result_begin("queue");
    rt_kv("enqueue", enq - empty);
    rt_kv("dequeue", deq - empty);
    rt_kv("enq_deq", pair - empty);
    rt_kv("dequeue_empty", deq0 - empty);
    rt_result_end();
    check(ok, "queue returns what was enqueued");
}

/* ---- 2. task switch ---------------------------------------------------------------------- */
static rt_task sw_a, sw_b;
static uint32_t sw_t0, sw_done;

static void switcher(rt_task *t)
{
    RT_BEGIN(t);
    for (t->u[0] = 0; t->u[0] < NSAMPLES; t->u[0]++) {
        sw_t0 = rt_cyc();
        RT_YIELD(t);
        uint32_t t1 = rt_cyc();
        if (!sw_done)       /* the last resume after the other one ended is no switch */
            sample(t1 - sw_t0 - empty);
    }
    if (++sw_done == 2)
        rt_stop = 1;
    RT_END(t);
}

static void bench_switch(void)
{
    nsamples = 0;
    rt_stop = 0;
    sw_done = 0;
    rt_spawn(&sw_a, switcher, 4, 0);
    rt_spawn(&sw_b, switcher, 4, 0);
    rt_run();
    report("switch", 0, 0);
}

/* ---- 3. interrupt -> task ------------------------------------------------------------------- */
#define DEV 0
static rt_task irq_t, busy_t[2];
static volatile uint32_t busy_stop;
static uint32_t irq_handled;

static void irq_task(rt_task *t)
{
    RT_BEGIN(t);
    for (t->u[0] = 0; t->u[0] < NSAMPLES; t->u[0]++) {
        /* re-arm the one-shot; vary the phase against the busy tasks' yields */
        RT_DEV(DEV, SOC_IRQSRC_PERIOD) = 700 + (t->u[0] * 37u) % 256u;
        RT_AWAIT_IRQ(t, DEV);
        uint32_t now = rt_now_soc();
        uint32_t stamp = rt_dev_stamp(DEV);
        rt_dev_ack(DEV);
        irq_handled++;
        sample(now - stamp);
    }
    busy_stop = 1;
    rt_stop = 1;
    RT_END(t);
}

static void busy_task(rt_task *t)
{
    RT_BEGIN(t);
    while (!busy_stop) {
        rt_work(BUSY_ITERS);
        RT_YIELD(t);
    }
    RT_END(t);
}

static void bench_irq(int busy)
{
    RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 0;
    RT_DEV(DEV, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_OFF;
    RT_DEV(DEV, SOC_IRQSRC_PERIOD) = 1000000;
    RT_DEV(DEV, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_ONESHOT;
    RT_DEV(DEV, SOC_IRQSRC_COUNT) = 0;
    RT_DEV(DEV, SOC_IRQSRC_MISSED) = 0;
    RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 1u << DEV;
    nsamples = 0;
    irq_handled = 0;
    busy_stop = 0;
    rt_stop = 0;
    uint32_t k = 0;
    if (busy) {
        /* cycles of the busy task's work between two yields (the key work_cycles) */
        uint32_t a = rt_cyc();
        rt_work(BUSY_ITERS);
        k = rt_cyc() - a;
    }
    rt_spawn(&irq_t, irq_task, 1, 0);
    if (busy) {
        rt_spawn(&busy_t[0], busy_task, 6, 0);
        rt_spawn(&busy_t[1], busy_task, 6, 0);
    }
    rt_run();
    RT_DEV(DEV, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_OFF;
    RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 0;
    report(busy ? "irq_busy" : "irq_idle", busy ? "work_cycles" : 0, k);
    uint32_t count = RT_DEV(DEV, SOC_IRQSRC_COUNT);
    uint32_t missed = RT_DEV(DEV, SOC_IRQSRC_MISSED);
    check(count == NSAMPLES && irq_handled == count && missed == 0,
          busy ? "irq_busy: every device event handled once"
               : "irq_idle: every device event handled once");
}

/* ---- 4. IPC and system calls ----------------------------------------------------------------- */
#define CH_REQ 1
#define CH_REPLY 2

struct request {
    uint32_t from, x;
};

static rt_task kernel_srv, user_srv, client_t;
static uint32_t srv_t;                  /* server's first instruction after the wake */
static uint32_t target;                 /* process the client calls */
static uint32_t oneway[NSAMPLES];
static struct request req;
static int ipc_ok;

static void server(rt_task *t)
{
    RT_BEGIN(t);
    for (;;) {
        RT_AWAIT_MSG(t, CH_REQ);
        srv_t = rt_cyc();
        struct request *r = (struct request *)rt_recv(t, CH_REQ);
        if (r)
            rt_send(t, r->from, CH_REPLY, r->x * 3u + 1u);
    }
}

static void client(rt_task *t)
{
    RT_BEGIN(t);
    for (t->u[0] = 0; t->u[0] < NSAMPLES; t->u[0]++) {
        req.from = t->proc;
        req.x = t->u[0] + 5;
        t->u[1] = rt_cyc();
        rt_send(t, target, CH_REQ, (uint32_t)&req);
        RT_AWAIT_MSG(t, CH_REPLY);
        {
            uint32_t reply = rt_recv(t, CH_REPLY);
            uint32_t now = rt_cyc();
            sample(now - t->u[1] - empty);
            oneway[t->u[0]] = srv_t - t->u[1] - empty;
            if (reply != (t->u[0] + 5) * 3u + 1u)
                ipc_ok = 0;
        }
    }
    rt_stop = 1;
    RT_END(t);
}

static void bench_ipc(unsigned to, const char *name)
{
    nsamples = 0;
    rt_stop = 0;
    ipc_ok = 1;
    target = to;
    rt_spawn(&client_t, client, 2, 1);
    rt_run();
    uint32_t rtt_p50;
    rt_sort(samples, nsamples);
    rtt_p50 = rt_percentile(samples, nsamples, 50);
    uint32_t rtt_min = samples[0], rtt_max = samples[nsamples - 1];
    rt_sort(oneway, NSAMPLES);
    rt_result_begin(name);
    rt_kv("oneway_min", oneway[0]);
    rt_kv("oneway_p50", rt_percentile(oneway, NSAMPLES, 50));
    rt_kv("oneway_max", oneway[NSAMPLES - 1]);
    rt_kv("rtt_min", rtt_min);
    rt_kv("rtt_p50", rtt_p50);
    rt_kv("rtt_max", rtt_max);
    rt_kv("n", nsamples);
    rt_result_end();
    check(ipc_ok && nsamples == NSAMPLES, to == 0 ? "syscall replies correct"
                                                  : "ipc replies correct");
}

int main(void)
{
    rt_init();
    for (int i = 0; i < 4; i++)
        empty = m_empty();
    console_puts("bench backend=" RT_BACKEND "\n");
    rt_result_begin("calib");
    rt_kv("empty", empty);
    rt_kv_signed("cycle_offset", rt_cycle_offset);
    rt_result_end();

    bench_queue();
    bench_switch();
    bench_irq(0);
    bench_irq(1);

    rt_use_processes(RT_PROCS);
    rt_spawn(&kernel_srv, server, 0, 0);        /* system-call handler: kernel */
    rt_spawn(&user_srv, server, 1, 2);          /* IPC server: user process 2 */
    rt_stop = 1;
    rt_run();                                   /* both now wait for requests */
    bench_ipc(2, "ipc");
    bench_ipc(0, "syscall");

    uint32_t err = rt_errors();
    check(err == 0, "no controller / runtime errors");
    console_puts(fails ? "bench FAILED\n" : "bench done\n");
    return fails;
}
