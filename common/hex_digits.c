/* hex_digits.c -- the value of hexadecimal digits, for %XX escapes and digests read from text. */
#include "hex_digits.h"

int hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int hex_pair_value(const char *text)
{
    int high = hex_digit_value(text[0]), low = hex_digit_value(text[1]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
}
