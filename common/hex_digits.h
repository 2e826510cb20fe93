/* hex_digits.h -- the value of hexadecimal digits, for %XX escapes and digests read from text. */
#ifndef ALFUP_HEX_DIGITS_H
#define ALFUP_HEX_DIGITS_H

/* The value 0..15 of one hexadecimal digit (either case), or -1 for any other character. */
int hex_digit_value(char c);

/* The byte 0..255 written by the two hexadecimal digits at text[0] and text[1], or -1 when
 * either is not a hexadecimal digit. The caller makes sure both characters exist. */
int hex_pair_value(const char *text);

#endif
