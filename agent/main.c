/* main.c -- alfup-agent entry point (being written). */
int main(void) { return 0; }
