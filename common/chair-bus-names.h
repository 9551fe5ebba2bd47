/* SPDX-License-Identifier: MIT */
/* The names of massagechaird's D-Bus API, shared by the daemon's bus layer and chairctl: one
 * copy, so a rename cannot leave the client behind. */
#pragma once

#define CHAIR_BUS_NAME "org.massagechair.Chair1"
#define CHAIR_OBJECT_PATH "/org/massagechair/Chair1"
#define CHAIR_INTERFACE "org.massagechair.Chair1"
#define CHAIR_SERVICE_INTERFACE "org.massagechair.Chair1.Service"
/* The people (docs/people.md): a manager object with the ObjectManager interface and one
 * object per person under it, PEOPLE_PATH "/" the person's id in decimal (the guest is 0). */
#define CHAIR_PEOPLE_PATH "/org/massagechair/Chair1/people"
#define CHAIR_PEOPLE_INTERFACE "org.massagechair.Chair1.People"
#define CHAIR_PERSON_INTERFACE "org.massagechair.Chair1.Person"
/* The posture axes and leg rollers (docs/posture.md): one object, on every chair. */
#define CHAIR_POSTURE_PATH "/org/massagechair/Chair1/posture"
#define CHAIR_POSTURE_INTERFACE "org.massagechair.Chair1.Posture"

/* Named errors of org.massagechair.Chair1; every failure a caller sees is one of these or a
 * standard org.freedesktop.DBus.Error.*, never a status code in a reply. */
#define CHAIR_ERROR_UNKNOWN_PROGRAM  "org.massagechair.Chair1.Error.UnknownProgram"
#define CHAIR_ERROR_BUSY             "org.massagechair.Chair1.Error.Busy"
#define CHAIR_ERROR_NOT_RUNNING      "org.massagechair.Chair1.Error.NotRunning"
#define CHAIR_ERROR_FAULT_LATCHED    "org.massagechair.Chair1.Error.FaultLatched"
#define CHAIR_ERROR_NOT_PERMITTED    "org.massagechair.Chair1.Error.NotPermitted"
#define CHAIR_ERROR_PRECAUTION       "org.massagechair.Chair1.Error.PrecautionConflict"
#define CHAIR_ERROR_INVALID_PROFILE  "org.massagechair.Chair1.Error.InvalidProfile"
#define CHAIR_ERROR_LIBRARY_FULL     "org.massagechair.Chair1.Error.LibraryFull"
#define CHAIR_ERROR_UNKNOWN_PERSON   "org.massagechair.Chair1.Error.UnknownPerson"
#define CHAIR_ERROR_PEOPLE_FULL      "org.massagechair.Chair1.Error.PeopleFull"
#define CHAIR_ERROR_NAME_TAKEN       "org.massagechair.Chair1.Error.NameTaken"
#define CHAIR_ERROR_NOT_OCCUPIED     "org.massagechair.Chair1.Error.NotOccupied"
/* No hardware map: the daemon runs without a chair (State "unconfigured"). */
#define CHAIR_ERROR_NOT_CONFIGURED   "org.massagechair.Chair1.Error.NotConfigured"
