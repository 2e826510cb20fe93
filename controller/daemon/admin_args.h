/* admin_args.h -- reading an admin socket command's words: its operands and its flags. */
#ifndef ALFUP_ADMIN_ARGS_H
#define ALFUP_ADMIN_ARGS_H

/* The nth (0-based) word from argv[first] on that is not an option ("-..."), or NULL. */
const char *admin_arg_operand(int argc, char **argv, int first, int nth);

/* 1 when flag is one of argv[1..]. */
int admin_arg_has_flag(int argc, char **argv, const char *flag);

#endif
