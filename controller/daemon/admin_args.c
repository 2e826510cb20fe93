/* admin_args.c -- reading an admin socket command's words: its operands and its flags. */
#include "admin_args.h"

#include <string.h>

const char *admin_arg_operand(int argc, char **argv, int first, int nth)
{
    for (int i = first; i < argc; i++)
        if (argv[i][0] != '-' && nth-- == 0)
            return argv[i];
    return NULL;
}

int admin_arg_has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return 1;
    return 0;
}
