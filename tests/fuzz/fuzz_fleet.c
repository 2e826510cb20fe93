/* fuzz_fleet.c -- libFuzzer target: any text given as a fleet file is either refused with "FILE:LINE" messages
 * or read into a fleet whose every deployment is in exactly one wave and whose window has a next slot or none. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "fleet_calendar.h"
#include "fuzz_refusal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1798761600 /* 2027-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    plan_diag_t diag = {0};
    fleet_read_options_t options = {.check_plans = false};
    fleet_t *fleet = fleet_parse("fuzz.yaml", (const char *)data, size, &options, &diag);
    if (fleet == NULL) {
        require_refusal_named(&diag, "fuzz.yaml");
        return 0;
    }
    require(plan_diag_count(&diag) == 0);
    size_t members = 0;
    for (size_t w = 0; w < fleet->wave_count; w++) {
        require(fleet->waves[w].parallelism >= 1 && fleet->waves[w].member_count >= 1);
        members += fleet->waves[w].member_count;
    }
    require(members == fleet->deployment_count);
    for (size_t i = 0; i < fleet->deployment_count; i++)
        require(fleet->deployments[i].wave < fleet->wave_count);
    require(fleet->halt_failures >= 1 && fleet->window.duration_s >= FLEET_WINDOW_MIN_S);
    fleet_slot_t slot;
    alfup_err_t err;
    if (fleet_calendar_next(fleet, FUZZ_NOW, &slot, &err) == ALFUP_OK)
        require(slot.usable.end > FUZZ_NOW && slot.usable.start < slot.usable.end &&
                slot.occurrence.start <= slot.usable.start && slot.usable.end <= slot.occurrence.end);
    fleet_destroy(&fleet);
    return 0;
}
