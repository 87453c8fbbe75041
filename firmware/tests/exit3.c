/* Ends with exit code 3: proves that a failing firmware is reported as failing. */
#include "console.h"

int main(void)
{
    console_puts("exiting with 3\n");
    return 3;
}
