/* Never ends: the simulation must stop at its cycle limit and say so. */
#include "console.h"

int main(void)
{
    console_puts("looping forever\n");
    for (;;)
        __asm__ volatile("");
}
