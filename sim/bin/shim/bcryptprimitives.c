/*
 * bcryptprimitives.dll for Wine versions that lack it (Wine 8).
 *
 * Rust's std (1.78 and later) imports ProcessPrng from bcryptprimitives.dll on Windows, so
 * qwave.dll and every Rust test program fail to load without it. This shim exports
 * ProcessPrng on top of RtlGenRandom (advapi32's SystemFunction036), which Wine has.
 *
 * Built by `qwave-sim wine` with
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
