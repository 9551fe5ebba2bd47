# cmake -DCHAIRCTL=... -DIN=chairctl.1.in -DOUT=chairctl.1 -P gen-chairctl.cmake
execute_process(COMMAND ${CHAIRCTL} __man OUTPUT_VARIABLE sections RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "chairctl __man failed: ${rc}")
endif()
file(READ ${IN} page)
string(REPLACE ".\\\" @SECTIONS@\n" "${sections}" page "${page}")
file(WRITE ${OUT} "${page}")
