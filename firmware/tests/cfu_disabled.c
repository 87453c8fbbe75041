/* The CFU is off after reset, and a csrw of CSR 0xBC0 (the externalInterruptArray mask,
 * which VexRiscv_FullCfu shares with the CFU enable, bit 31) turns it off again: a
 * custom-0 instruction is then an illegal instruction (start.S's default trap handler
 * ends the simulation with exit code 0x100 | mcause = 0x102). */
#include <stdint.h>

#include "atsintc_cfu.h"
#include "console.h"
#include "soc.h"

int main(void)
{
    atsintc_cfu_enable();
    uint32_t n = atsintc_cfu_read(ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, 0),
                                  ATSINTC_PROC_READY_COUNT);
    console_puts(n == 0 && atsintc_cfu_enabled() ? "enabled: ok\n" : "enabled: FAIL\n");
    /* a mask write without bit 31 */
    __asm__ volatile("csrw %0, %1" ::"i"(SOC_CSR_MEIMASK), "r"(1u << SOC_EXT_IRQ_PLIC));
    console_puts(atsintc_cfu_enabled() ? "still on\n" : "off after csrw\n");
    atsintc_cfu_dequeue(ATSINTC_PROC_BASE(SOC_ATSINTC_BASE, 0));
    console_puts("not reached\n");
    return 0;
}
