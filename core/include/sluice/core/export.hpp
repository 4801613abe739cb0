#pragma once

// Libraries are built with hidden visibility; SLUICE_API marks what is meant to be used from
// outside (classes whose type identity must cross library boundaries, such as exceptions, too).
#define SLUICE_API __attribute__((visibility("default")))
