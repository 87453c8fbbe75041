/* An unhandled trap (ecall from M-mode, mcause 11) ends the simulation with exit code
 * 0x100 | mcause through start.S's default trap handler. */
#include "console.h"

int main(void)
{
    console_puts("about to ecall\n");
    __asm__ volatile("ecall");
    console_puts("not reached\n");
    return 0;
}
