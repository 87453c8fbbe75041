/* Load sweep (benchmark 5), the same code for every backend (rt.h).
 *
 * SWEEP_VECTORS devices in random mode (InterruptSource MODE 3: geometric
 * inter-arrival times of mean M), one task per device (all at priority 2). Each event
 * costs a fixed service time S (rt_work(SERVICE_ITERS), measured at start-up); for an
 * offered load L% the mean is M = SWEEP_VECTORS * S * 100 / L. Per load, the first
 * SWEEP_EVENTS events are recorded:
 *   latency = task start (mcycle in SoC CYCLE time) - the device's STAMP
 * and reported as
 *   RESULT load <backend> load=L p50= p99= max= mean= events= missed= cpu_per_event=
 *          overhead= service= period=
 * where cpu_per_event = (elapsed - idle cycles) / events handled (service included)
 * and overhead = cpu_per_event - service. Devices are stopped after SWEEP_EVENTS
 * events; the events already raised are still handled, and every device's COUNT must
 * equal the events its task handled (CHECK line). At load CDF_LOAD every recorded
 * latency is printed on "LAT <backend> <load> v v v ..." lines.
 */
#include "rt.h"

#ifndef SWEEP_VECTORS
#define SWEEP_VECTORS 4
#endif
#ifndef SWEEP_EVENTS
#define SWEEP_EVENTS 400
#endif
#ifndef SWEEP_LOADS
#define SWEEP_LOADS 10, 30, 50, 70, 80, 90
#endif
#ifndef CDF_LOAD
#define CDF_LOAD 80
#endif
#ifndef SERVICE_ITERS
#define SERVICE_ITERS 300
#endif

static const uint32_t loads[] = {SWEEP_LOADS};
static rt_task dev_t[SWEEP_VECTORS];
static uint32_t lat[SWEEP_EVENTS];
static volatile uint32_t nev;
static uint32_t handled[SWEEP_VECTORS];
static int fails;

static void dev_task(rt_task *t)
{
    RT_BEGIN(t);
    for (;;) {
        RT_AWAIT_IRQ(t, t->u[0]);
        {
            uint32_t now = rt_now_soc();
            unsigned v = t->u[0];
            uint32_t stamp = rt_dev_stamp(v);
            rt_dev_ack(v);
            handled[v]++;
            uint32_t n = nev;
            if (n < SWEEP_EVENTS)
                lat[n] = now - stamp;
            nev = n + 1;
            if (n + 1 == SWEEP_EVENTS) {
                RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 0;
                rt_stop = 1;
            }
        }
        rt_work(SERVICE_ITERS);
    }
}

static void print_cdf(uint32_t load)
{
    for (uint32_t i = 0; i < SWEEP_EVENTS; i++) {
        if (i % 32 == 0) {
            if (i)
                console_putc('\n');
            console_puts("LAT " RT_BACKEND " ");
            console_put_uint(load);
        }
        console_putc(' ');
        console_put_uint(lat[i]);
    }
    console_putc('\n');
}

int main(void)
{
    rt_init();
    uint32_t service = ~0u;
    for (int i = 0; i < 4; i++) {
        uint32_t a = rt_cyc();
        rt_work(SERVICE_ITERS);
        uint32_t d = rt_cyc() - a;
        service = d < service ? d : service;
    }
    console_puts("sweep backend=" RT_BACKEND "\n");

    for (unsigned v = 0; v < SWEEP_VECTORS; v++) {
        dev_t[v].u[0] = v;
        rt_spawn(&dev_t[v], dev_task, 2, 0);
    }
    rt_stop = 1;
    rt_run();                           /* every task now waits for its device */

    for (unsigned li = 0; li < sizeof loads / sizeof loads[0]; li++) {
        uint32_t load = loads[li];
        uint32_t period = SWEEP_VECTORS * service * 100u / load;
        RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 0;
        for (unsigned v = 0; v < SWEEP_VECTORS; v++) {
            RT_DEV(v, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_RANDOM;
            RT_DEV(v, SOC_IRQSRC_PERIOD) = period;
            RT_DEV(v, SOC_IRQSRC_COUNT) = 0;
            RT_DEV(v, SOC_IRQSRC_MISSED) = 0;
            handled[v] = 0;
        }
        nev = 0;
        rt_stop = 0;
        uint32_t idle0 = rt_idle;
        uint32_t t0 = rt_cyc();
        RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = (1u << SWEEP_VECTORS) - 1;
        rt_run();
        uint32_t elapsed = rt_cyc() - t0;
        uint32_t idle = rt_idle - idle0;
        uint32_t events = nev;
        /* drain: events raised just before the devices stopped */
        rt_work(200);
        rt_stop = 1;
        rt_run();

        uint32_t count = 0, missed = 0, done = 0;
        int exact = 1;
        for (unsigned v = 0; v < SWEEP_VECTORS; v++) {
            uint32_t c = RT_DEV(v, SOC_IRQSRC_COUNT);
            count += c;
            done += handled[v];
            missed += RT_DEV(v, SOC_IRQSRC_MISSED);
            exact &= c == handled[v];
        }
        uint32_t n = events < SWEEP_EVENTS ? events : SWEEP_EVENTS;
        uint32_t sum = 0;      /* latencies are far below 2^32 / SWEEP_EVENTS */
        for (uint32_t i = 0; i < n; i++)
            sum += lat[i];
        if (load == CDF_LOAD)
            print_cdf(load);
        rt_sort(lat, n);
        uint32_t busy = elapsed > idle ? elapsed - idle : 0;
        uint32_t cpe = events ? busy / events : 0;
        rt_result_begin("load");
        rt_kv("load", load);
        rt_kv("p50", rt_percentile(lat, n, 50));
        rt_kv("p99", rt_percentile(lat, n, 99));
        rt_kv("max", n ? lat[n - 1] : 0);
        rt_kv("mean", n ? sum / n : 0);
        rt_kv("events", done);
        rt_kv("count", count);
        rt_kv("missed", missed);
        rt_kv("cpu_per_event", cpe);
        rt_kv("overhead", cpe > service ? cpe - service : 0);
        rt_kv("service", service);
        rt_kv("period", period);
        rt_kv("elapsed", elapsed);
        rt_result_end();
        console_puts(exact ? "CHECK ok " : "CHECK FAIL ");
        console_puts(RT_BACKEND " load ");
        console_put_uint(load);
        console_puts(": every device event handled exactly once\n");
        if (!exact)
            fails++;
    }
    for (unsigned v = 0; v < SWEEP_VECTORS; v++)
        RT_DEV(v, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_OFF;
    if (rt_errors()) {
        console_puts("CHECK FAIL " RT_BACKEND " runtime errors\n");
        fails++;
    }
    console_puts(fails ? "sweep FAILED\n" : "sweep done\n");
    return fails;
}
