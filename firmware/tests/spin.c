/* A CPU-bound loop of about 5 million cycles (simulation speed measurement). */
#include <stdint.h>

#include "console.h"

static volatile uint32_t sink;

__attribute__((noinline)) static uint32_t work(uint32_t n)
{
    uint32_t x = 1;
    for (uint32_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        sink = x;
    }
    return x;
}

int main(void)
{
    uint32_t t0 = rdcycle32();
    uint32_t x = work(625000);
    uint32_t t1 = rdcycle32();
    console_puts("spin ");
    console_put_hex(x);
    console_puts(" cycles ");
    console_put_uint(t1 - t0);
    console_putc('\n');
    return 0;
}
