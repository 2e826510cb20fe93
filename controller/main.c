/* main.c -- alfup-controller entry point (being written). */
int main(void) { return 0; }
