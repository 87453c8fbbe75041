/* Console output through the SoC's CONSOLE register (no libc). */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdint.h>

void console_putc(char c);
void console_puts(const char *s);            /* no newline added */
void console_put_uint(uint32_t v);           /* decimal */
void console_put_hex(uint32_t v);            /* 0x%08x */
void console_put_uint64(uint64_t v);         /* decimal */

/* End the simulation with this exit code (does not return). */
void soc_exit(uint32_t code) __attribute__((noreturn));

/* 64-bit counters. */
uint64_t soc_cycle(void);                    /* SoC CYCLE register */
static inline uint32_t rdcycle32(void)
{
    uint32_t v;
    __asm__ volatile("rdcycle %0" : "=r"(v));
    return v;
}
static inline uint64_t rdcycle64(void)
{
    uint32_t hi, lo, hi2;
    do {
        __asm__ volatile("rdcycleh %0" : "=r"(hi));
        __asm__ volatile("rdcycle %0" : "=r"(lo));
        __asm__ volatile("rdcycleh %0" : "=r"(hi2));
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}

#endif
