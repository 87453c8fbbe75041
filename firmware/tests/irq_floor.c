/* Diagnostic (tests/test_runtime.py::test_irq_floor, docs/performance.md): the
 * hardware part of interrupt -> task (device line rising -> the
 * DEQUEUE_WAIT load returns the woken task, read by rdcycle right after). */
#include "../rt/rt.h"

int main(void)
{
    rt_init();
    static rt_task t;
    t.word = atsintc_task((uintptr_t)&t, 1);
    volatile uint32_t *dq = (volatile uint32_t *)(RT_WIN(0) + ATSINTC_PROC_DEQUEUE_WAIT);
    RT_DEV_GLOBAL(SOC_IRQSRC_ENABLE) = 1;
    for (int i = 0; i < 4; i++) {
        RT_MMIO(RT_WIN(0) + ATSINTC_PROC_BLOCK(0)) = t.word;
        RT_DEV(0, SOC_IRQSRC_PERIOD) = 300;
        RT_DEV(0, SOC_IRQSRC_MODE) = SOC_IRQSRC_MODE_ONESHOT;
        uint32_t w = *dq;
        uint32_t now = rt_now_soc();
        uint32_t stamp = rt_dev_stamp(0);
        rt_dev_ack(0);
        console_puts("floor ");
        console_put_uint(now - stamp);
        console_puts(w == t.word ? " ok\n" : " BAD\n");
    }
    return 0;
}
