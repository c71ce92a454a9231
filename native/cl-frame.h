/*
 * cl-frame.h: the agent channel's framing on the agent's side (u8 type, u32 id, u32 length,
 * payload; little endian) and small fd helpers, included by cl-agent.c.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(0); /* host went away: nothing left to serve */
    }
    p += n;
    len -= (size_t)n;
  }
}

static void send_frame(char type, uint32_t id, const void *data, uint32_t len) {
  unsigned char h[9];
  h[0] = (unsigned char)type;
  put_u32(h + 1, id);
  put_u32(h + 5, len);
  write_all(1, h, 9);
  if (len) write_all(1, data, len);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}
